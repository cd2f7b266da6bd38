//! Files for unit tests: a small tree written under a temporary directory.

use std::path::Path;

/// Writes `text` to `rel` under `root`, creating the folders on the way.
pub(crate) fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("a relative path under root")).unwrap();
    std::fs::write(path, text).unwrap();
}
