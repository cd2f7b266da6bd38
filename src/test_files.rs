//! Files for unit tests: a small tree written under a temporary directory.

use std::path::{Path, PathBuf};

/// `../shared/<rel>` beside the repository, for a unit test that reads the shared inputs (the
/// real charts, Gloo's values reference). Absent, the test is skipped, loudly (straight to
/// stderr, which libtest does not capture, as tests/common's `skip` does for the integration
/// tests), unless `HELM_HARDEN_CI` is set, as `.ci/run` sets it: there it fails.
pub(crate) fn shared_or_skip(rel: &str, test: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var_os("HELM_HARDEN_CI").is_none(), "{} is missing", dir.display());
    let _ = std::io::Write::write_fmt(
        &mut std::io::stderr().lock(),
        format_args!("SKIPPED {test}: {} is absent\n", dir.display()),
    );
    None
}

/// Writes `text` to `rel` under `root`, creating the folders on the way.
pub(crate) fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a relative path under root")).unwrap();
    std::fs::write(path, text).unwrap();
}
