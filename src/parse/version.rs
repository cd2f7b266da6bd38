//! A Gloo or chart version, `major.minor.patch`: what rules and fixes are decided by.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version { major, minor, patch }
    }

    /// Parses `1.17.38`, `v1.17.38`, `1.17.38-beta1`, `1.17`.
    pub fn parse(text: &str) -> Option<Version> {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(Version { major, minor, patch })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(Version::parse("1.17.38"), Some(Version::new(1, 17, 38)));
        assert_eq!(Version::parse("v1.22.1-beta3"), Some(Version::new(1, 22, 1)));
        assert_eq!(Version::parse("1.13"), Some(Version::new(1, 13, 0)));
        assert_eq!(Version::parse("latest"), None);
        assert!(Version::new(1, 13, 39) < Version::new(1, 15, 0));
    }
}
