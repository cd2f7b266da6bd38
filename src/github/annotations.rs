//! The fallback when the token cannot comment: workflow-command annotations on stdout and a
//! note in the job summary. Minimal on purpose; the shared `--format github` writer replaces
//! this once it lands.

use crate::rules::Severity;

/// `::error file=F,line=L,title=T::message`, escaped as the runner requires.
pub fn annotation(severity: Severity, file: Option<&str>, line: Option<usize>, title: &str, message: &str) -> String {
    let level = match severity {
        Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    };
    let mut props = Vec::new();
    if let Some(file) = file {
        props.push(format!("file={}", escape_property(file)));
        if let Some(line) = line {
            props.push(format!("line={line}"));
        }
    }
    props.push(format!("title={}", escape_property(title)));
    format!("::{level} {}::{}", props.join(","), escape_data(message))
}

/// Message text: `%`, CR and LF.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Property values: also `:` and `,`, which end a property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_requires() {
        assert_eq!(
            annotation(Severity::High, Some("dir/a,b:c.yaml"), Some(4), "GLOO-001: t", "50% done\r\nnext"),
            "::error file=dir/a%2Cb%3Ac.yaml,line=4,title=GLOO-001%3A t::50%25 done%0D%0Anext"
        );
        assert_eq!(annotation(Severity::Low, None, Some(3), "X", "m"), "::warning title=X::m");
    }
}
