//! Writing the files helm-harden is asked to write (`overlay --write`, `check --sarif-file`):
//! whole or not at all, with the permissions any other new file of the user would get.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` beside it under a temporary name, then renames it over `path`, so a
/// reader never sees half a file. The file gets the mode of the file it replaces, else the
/// mode of a new file (0666 less the umask), not the temporary file's 0600. An error names
/// `path` only (never the temporary file): `{failure}: {reason}`, e.g. `cannot write: no such
/// directory`.
///
/// Only a regular file is replaced: the rename would swap a device (`/dev/null`, `/dev/full`), a
/// FIFO or a socket for a regular file, and a symlink for a copy that its target never sees. A
/// symlink to a regular file is written through (its target replaced); anything else is refused,
/// and so is any of the run's `inputs` (a values, overlay, config or manifests file), which the
/// report would overwrite with itself.
pub fn write_atomically(path: &Path, text: &str, failure: &str, inputs: &[&Path]) -> Result<()> {
    let fail = |reason: String| Error::in_file(path, format!("{failure}: {reason}"));
    let target = destination(path, inputs)?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let replaced =
        std::fs::metadata(&target).ok().filter(std::fs::Metadata::is_file).map(|m| m.permissions());
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
    tmp.persist(&target).map_err(|e| fail(reason(&e.error)))?;
    Ok(())
}

/// The file to rename over for `path`: `path` itself (new, or a regular file), or the regular
/// file a symlink leads to. Refuses anything else, and any of `inputs`.
fn destination(path: &Path, inputs: &[&Path]) -> Result<PathBuf> {
    let refuse = |what: &str| Err(Error::in_file(path, format!("{what}; refusing to replace it")));
    let target = match std::fs::symlink_metadata(path) {
        Err(_) => path.to_path_buf(),
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::canonicalize(path) {
            Ok(target) if target.is_file() => target,
            Ok(_) => return refuse("is a symlink to something other than a regular file"),
            Err(_) => return refuse("is a symlink to a missing file"),
        },
        Ok(meta) if meta.is_file() => path.to_path_buf(),
        Ok(meta) if meta.is_dir() => return refuse("is a directory"),
        Ok(_) => return refuse("is not a regular file (a device, FIFO or socket)"),
    };
    if let Some(canonical) = canonical(&target) {
        if inputs.iter().any(|input| canonical_input(input).as_ref() == Some(&canonical)) {
            return refuse("is an input of this run");
        }
    }
    Ok(target)
}

/// `path` with every symlink and `..` resolved; for a file that does not exist yet, its
/// directory resolved and its name added. None when the directory does not exist either.
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(resolved) = std::fs::canonicalize(path) {
        return Some(resolved);
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(std::fs::canonicalize(dir).ok()?.join(path.file_name()?))
}

/// An input's canonical path; `-` (stdin) and unreadable paths are none.
fn canonical_input(input: &Path) -> Option<PathBuf> {
    (input != Path::new("-")).then(|| std::fs::canonicalize(input).ok()).flatten()
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

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error worth a message.
pub fn print(text: &str) -> Result<()> {
    write_stdout(|out| out.write_all(text.as_bytes()))
}

/// Writes to stdout through a buffer; a closed pipe (`| head`) is not an error worth a message.
pub fn write_stdout(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(format!("cannot write output: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_path_given_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/x.yaml");
        let err = write_atomically(&path, "a: 1\n", "cannot write", &[]).unwrap_err().to_string();
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
        write_atomically(&new, "a: 1\n", "cannot write", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&new).unwrap(), "a: 1\n");
        assert_eq!(mode(&new), mode(&probe), "like any new file, not 0600");
        let kept = dir.path().join("kept.yaml");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&kept, "new", "cannot write", &[]).unwrap();
        assert_eq!((std::fs::read_to_string(&kept).unwrap().as_str(), mode(&kept)), ("new", 0o640));
    }

    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_is_replaced_and_a_symlink_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let err = |path: &Path, inputs: &[&Path]| {
            write_atomically(path, "new", "cannot write", inputs).unwrap_err().to_string()
        };
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        assert_eq!(
            err(&fifo, &[]),
            format!(
                "{}: is not a regular file (a device, FIFO or socket); refusing to replace it",
                fifo.display()
            )
        );
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(
            &std::fs::symlink_metadata(&fifo).unwrap().file_type()
        ));

        let to_device = dir.path().join("null-link");
        std::os::unix::fs::symlink("/dev/null", &to_device).unwrap();
        assert!(err(&to_device, &[]).ends_with("null-link: is a symlink to something other than a regular file; refusing to replace it"));
        assert!(std::fs::symlink_metadata(&to_device).unwrap().file_type().is_symlink());

        let real = dir.path().join("real.sarif");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.sarif");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, "new", "cannot write", &[]).unwrap();
        assert!(
            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
            "the symlink stays"
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new", "its target is written");
    }

    #[test]
    fn an_input_of_the_run_is_never_replaced_by_whatever_path_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let values = dir.path().join("values.yaml");
        std::fs::write(&values, "a: 1\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let roundabout = dir.path().join("sub/../values.yaml");
        let err = write_atomically(&roundabout, "new", "cannot write", &[&values])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!("{}: is an input of this run; refusing to replace it", roundabout.display())
        );
        assert_eq!(std::fs::read_to_string(&values).unwrap(), "a: 1\n");
        write_atomically(
            &dir.path().join("other.yaml"),
            "new",
            "cannot write",
            &[&values, Path::new("-")],
        )
        .unwrap();
    }
}
