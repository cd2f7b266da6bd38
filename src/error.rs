//! The one error type: a single line for the user, naming the file (and line) at fault.
//! Every error exits with code 2.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What went wrong, where a caller acts on it (the message is for the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorKind {
    #[default]
    Other,
    /// helm ran and refused the chart with these values: a value of the wrong type may be the
    /// cause (the values schema then names its line first).
    HelmFailed,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Other, message: fold(message.into()) }
    }

    /// helm's own failure to render (its stderr folded into `message`).
    pub fn helm_failed(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::HelmFailed, message: fold(message.into()) }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// `file:line:col: message`.
    pub fn at(file: &Path, line: usize, col: usize, message: impl fmt::Display) -> Self {
        Error::new(format!("{}:{line}:{col}: {message}", file.display()))
    }

    /// `file: message`.
    pub fn in_file(file: &Path, message: impl fmt::Display) -> Self {
        Error::new(format!("{}: {message}", file.display()))
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

/// One line, always: multi-line causes (helm's stderr) are folded. Causes may quote the chart
/// (helm's stderr carries a template's `fail` message): no escape sequence or bidi control
/// reaches the terminal.
fn fold(text: String) -> String {
    let folded: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(crate::escape::terminal)
        .collect();
    folded.join(" | ")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helm_failure_is_told_by_its_kind_not_its_words() {
        let helm = Error::helm_failed("chart: helm template failed: Error: boom\nline two");
        assert_eq!(helm.kind(), ErrorKind::HelmFailed);
        assert_eq!(helm.to_string(), "chart: helm template failed: Error: boom | line two");
        // The same words from anything else are not a helm failure.
        assert_eq!(Error::new("helm template failed").kind(), ErrorKind::Other);
    }
}
