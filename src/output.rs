//! Writing the files helm-harden is asked to write (`overlay --write`, `check --sarif-file`):
//! whole or not at all, with the permissions any other new file of the user would get.

use crate::error::{Error, Result};
use std::path::Path;

/// Writes `text` to `path` beside it under a temporary name, then renames it over `path`, so a
/// reader never sees half a file. The file gets the mode of the file it replaces, else the
/// mode of a new file (0666 less the umask), not the temporary file's 0600. An error names
/// `path` only (never the temporary file): `{failure}: {reason}`, e.g. `cannot write: no such
/// directory`.
pub fn write_atomically(path: &Path, text: &str, failure: &str) -> Result<()> {
    let fail = |reason: String| Error::in_file(path, format!("{failure}: {reason}"));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let replaced = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_file).map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The OS applies the umask to the mode a file is created with.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| fail(reason(&e)))?;
    if let Some(permissions) = replaced {
        // Set on the open file, where the umask does not apply.
        tmp.as_file().set_permissions(permissions).map_err(|e| fail(reason(&e)))?;
    }
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| fail(reason(&e)))?;
    tmp.persist(path).map_err(|e| fail(reason(&e.error)))?;
    Ok(())
}

/// Why a write failed, in words that name no path: tempfile's errors end with `at path
/// "<the temporary file>"`, a name the user never chose.
fn reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        // tempfile wraps the OS error with the path; a plain OS error names none.
        kind if e.get_ref().is_some() => kind.to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_path_given_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/x.yaml");
        let err = write_atomically(&path, "a: 1\n", "cannot write").unwrap_err().to_string();
        assert_eq!(err, format!("{}: cannot write: no such directory", path.display()));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_gets_the_umask_mode_and_a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        // What the OS gives a new file here (0666 less this process's umask).
        let probe = dir.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        let new = dir.path().join("new.yaml");
        write_atomically(&new, "a: 1\n", "cannot write").unwrap();
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "a: 1\n");
        assert_eq!(mode(&new), mode(&probe), "like any new file, not 0600");
        let kept = dir.path().join("kept.yaml");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&kept, "new", "cannot write").unwrap();
        assert_eq!((std::fs::read_to_string(&kept).unwrap().as_str(), mode(&kept)), ("new", 0o640));
    }
}
