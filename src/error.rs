//! The one error type: a single line for the user, naming the file (and line) at fault.
//! Every error exits with code 2.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        // One line, always: multi-line causes (helm's stderr) are folded.
        let text: String = message.into();
        // Causes may quote the chart (helm's stderr carries a template's `fail` message): no
        // escape sequence or bidi control reaches the terminal.
        let folded: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(crate::report::escape::terminal)
            .collect();
        Error(folded.join(" | "))
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
        &self.0
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
