//! Bounded reads of the files helm-harden is given: values files, the config, `Chart.yaml`.
//!
//! Whatever path a user (or a chart) points at, reading it must end, and soon: a directory, a
//! FIFO or a device is refused by type before it is opened (opening a FIFO blocks until someone
//! writes to it; `/dev/zero` never ends), and a regular file is read up to a limit.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// Largest values file (or `--overlay` file) read: values files are hand-written; real ones are
/// a few KiB, Gloo's own defaults about 100 KiB.
pub const MAX_VALUES_BYTES: u64 = 32 * 1024 * 1024;
/// Largest `.helm-harden.yaml` read.
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// Largest `Chart.yaml` or chart `values.yaml` read for chart facts.
pub const MAX_CHART_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads a regular file of at most `max` bytes. `what` names the file's role in messages
/// ("values file", "config").
pub fn read_regular(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::in_file(path, format!("cannot read {what}: {}", io_reason(&e))))?;
    if meta.is_dir() {
        return Err(Error::in_file(path, format!("cannot read {what}: it is a directory")));
    }
    if !meta.is_file() {
        // helm reads values files too: a pipe read here would be empty for helm, so even
        // `-f <(command)` could only be checked wrongly.
        return Err(Error::in_file(path, format!("cannot read {what}: not a regular file (a FIFO, socket or device); save it to a file first")));
    }
    if meta.len() > max {
        return Err(too_large(path, what, max));
    }
    // Sized up front: through `take` the reader gives no size hint, and a vector grown by
    // doubling copies a large file several times over.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::in_file(path, format!("cannot read {what}: {}", io_reason(&e))))?;
    // The file may have grown since metadata was read.
    if bytes.len() as u64 > max {
        return Err(too_large(path, what, max));
    }
    Ok(bytes)
}

fn too_large(path: &Path, what: &str, max: u64) -> Error {
    Error::in_file(path, format!("{what} is larger than the {} MiB limit", max / (1024 * 1024)))
}

/// UTF-8 text of `bytes`, or `not_utf8` as an error at the line of the first bad byte. A leading
/// byte-order mark is dropped (editors on Windows write one; YAML allows it).
pub fn utf8_text(path: &Path, bytes: Vec<u8>, not_utf8: &str) -> Result<String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::at(path, line, 1, not_utf8)
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// A regular text file read for facts only (Chart.yaml, a chart's values.yaml): None when it is
/// missing, not a regular file, too large or not UTF-8.
pub fn read_text_lenient(path: &Path, max: u64) -> Option<String> {
    let bytes = read_regular(path, max, "file").ok()?;
    utf8_text(path, bytes, "not UTF-8").ok()
}

/// What went wrong reading a file, in the words of a one-line error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_directories_devices_and_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_regular(dir.path(), 10, "values file").unwrap_err();
        assert!(err.message().ends_with("cannot read values file: it is a directory"), "{err}");
        let err = read_regular(Path::new("/dev/zero"), 10, "values file").unwrap_err();
        assert!(err.message().contains("not a regular file"), "{err}");
        let big = dir.path().join("big.yaml");
        std::fs::write(&big, "a: 1\n".repeat(10)).unwrap();
        let err = read_regular(&big, 10, "config").unwrap_err();
        assert!(err.message().ends_with("config is larger than the 0 MiB limit"), "{err}");
        assert_eq!(read_regular(&big, 50, "config").unwrap().len(), 50);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_bad_bytes_name_their_line() {
        assert_eq!(
            utf8_text(Path::new("v"), b"\xef\xbb\xbfa: 1\n".to_vec(), "values file is not UTF-8")
                .unwrap(),
            "a: 1\n"
        );
        let err =
            utf8_text(Path::new("v"), b"a: 1\nb: \xff\n".to_vec(), "values file is not UTF-8")
                .unwrap_err();
        assert_eq!(err.message(), "v:2:1: values file is not UTF-8");
    }
}
