//! The bad-input corpus as data (issue 7's corpus; issue 14, item 4): one [trycmd] case per
//! file, `tests/cmd/bad-input/<case>.toml` (the arguments, any `env.add`, `stdin` or `timeout`,
//! and the expected exit code, stdout and stderr), run in `<case>.in/` (its working directory:
//! the files the case throws at helm-harden, and `helm` when a stand-in shell script plays
//! helm). A failure names the case file. The cases that cannot be files (special files, signals,
//! real helm, generated inputs too large to commit, and inputs that must work) are Rust tests in
//! `tests/bad_input.rs`; docs/development.md says how to add a case.
//!
//! Every case holds helm-harden to the error contract of `tests/bad_input.rs`, and this file
//! makes sure each case file says so before anything runs: `status.code = 2`, `stdout = ""`,
//! and a `stderr` that is exactly one line starting with `error: `, with no escape sequence and
//! no trycmd elision (`[..]`, `...`) or placeholder, so the message is matched byte for byte
//! (which also keeps escape sequences out). Each run gets `NO_COLOR=1`, `PATH=/usr/bin:/bin`,
//! no `HELM_BIN` unless the case adds one (`./helm`), a render cache private to this run, and
//! at most 30 seconds (trycmd's timeout kills the run, which then fails its exit code; a case
//! may ask for less).
//!
//! Nothing written: the case files are copied into a temporary directory and run there, each in
//! its `.in` copy, and afterwards every path under the copy (bytes, mode, symlink target) is
//! compared with the original: a file created, removed or changed fails the case, by name.
//! trycmd's own sandbox is not enough for this: its `.out` directory is compared as a subset, so
//! a file the run creates beside the expected ones goes unseen.
//!
//! `TRYCMD=overwrite cargo test --test bad_input_cases` writes the actual stderr into the case
//! files (review the diff); `-- bad_input_cases trycmd=NAME` runs only the cases whose file name
//! contains NAME.
//!
//! [trycmd]: https://docs.rs/trycmd

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The corpus, relative to the crate.
const CORPUS: &str = "tests/cmd/bad-input";
/// The bound on every run; a case's own `timeout` may only lower it.
const MAX_SECONDS: u64 = 30;
/// What a case file may set. The binary, the environment's defaults, the working directory and
/// the sandbox are this file's to choose, the same for every case.
const KEYS: &[&str] = &["args", "env", "stdin", "timeout", "status", "stdout", "stderr"];

#[test]
fn bad_input_cases() {
    // One test in this binary, run before any thread reads the environment: the cases inherit
    // no `HELM_BIN` (trycmd's defaults can add variables, not remove them).
    std::env::remove_var("HELM_BIN");

    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let overwrite = std::env::var_os("TRYCMD").is_some_and(|m| m == "overwrite");
    let cases = case_names(&source);
    // The 60 cases of the conversion from Rust tests: fewer means cases were lost.
    assert!(cases.len() >= 60, "{CORPUS}: only {} cases", cases.len());
    assert_states_the_contract(&source, &cases, overwrite);

    // A copy to run in: named like the original, so trycmd's report reads `.../tests/cmd/...`.
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join(CORPUS);
    copy_tree(&source, &copy);
    let before: BTreeMap<String, Tree> =
        cases.iter().map(|c| (c.clone(), tree(&copy.join(format!("{c}.in"))))).collect();
    for (case, files) in &before {
        assert_eq!(
            files,
            &tree(&source.join(format!("{case}.in"))),
            "{CORPUS}/{case}.in: the copy differs from the original"
        );
    }
    let top_before = tree_top(&copy);

    let cache = tempfile::tempdir().unwrap();
    let ran = std::panic::catch_unwind(|| {
        trycmd::TestCases::new()
            .default_bin_path(env!("CARGO_BIN_EXE_helm-harden"))
            .timeout(Duration::from_secs(MAX_SECONDS))
            .env("NO_COLOR", "1")
            .env("PATH", "/usr/bin:/bin")
            .env("XDG_CACHE_HOME", cache.path().display().to_string())
            .case(copy.join("*.toml"))
            .run();
    });

    // Nothing created, removed or changed in any case's directory, nor beside them.
    let mut written = Vec::new();
    for (case, files) in &before {
        let after = tree(&copy.join(format!("{case}.in")));
        for path in files.keys().chain(after.keys()).collect::<std::collections::BTreeSet<_>>() {
            match (files.get(path), after.get(path)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(_), Some(_)) => written.push(format!("{CORPUS}/{case}.toml: changed {path}")),
                (None, Some(_)) => written.push(format!("{CORPUS}/{case}.toml: created {path}")),
                (Some(_), None) => written.push(format!("{CORPUS}/{case}.toml: removed {path}")),
                (None, None) => unreachable!(),
            }
        }
    }
    let top_after = tree_top(&copy);
    if overwrite {
        // trycmd rewrote the copies' expected output: bring it home, and hold what it wrote to
        // the contract (a second line, another exit code).
        for case in &cases {
            let (from, to) =
                (copy.join(format!("{case}.toml")), source.join(format!("{case}.toml")));
            if std::fs::read(&from).unwrap() != std::fs::read(&to).unwrap() {
                std::fs::copy(&from, &to).unwrap();
            }
        }
        assert_states_the_contract(&source, &cases, false);
    } else if top_after != top_before {
        written.push(format!(
            "{CORPUS}: a file beside the cases changed: {top_before:?} -> {top_after:?}"
        ));
    }
    assert!(
        written.is_empty(),
        "no file may be created, removed or changed by a failing run:\n{}",
        written.join("\n")
    );
    if let Err(panic) = ran {
        std::panic::resume_unwind(panic);
    }
}

/// The case names: every `<case>.toml` under `dir`, after checking that nothing else is there
/// but their `<case>.in` directories.
fn case_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        match name.strip_suffix(".toml") {
            Some(case) => names.push(case.to_string()),
            None => others.push(name),
        }
    }
    names.sort();
    for other in others {
        let belongs = other.strip_suffix(".in").is_some_and(|c| names.iter().any(|n| n == c));
        assert!(
            belongs,
            "{CORPUS}/{other}: only <case>.toml and <case>.in/ belong here (stdin, stdout and \
             stderr go inline in the .toml, so that one file states the whole case)"
        );
    }
    names
}

/// Fails, naming every case file that does not state the error contract. Under
/// `TRYCMD=overwrite`, before the run, an empty `stderr` is let through for trycmd to fill in.
fn assert_states_the_contract(dir: &Path, cases: &[String], overwrite: bool) {
    let problems: Vec<String> =
        cases.iter().flat_map(|c| contract_problems(dir, c, overwrite)).collect();
    assert!(
        problems.is_empty(),
        "case files that do not state the contract:\n{}",
        problems.join("\n")
    );
}

/// What a case file fails to state of the error contract, each naming the file.
fn contract_problems(dir: &Path, case: &str, overwrite: bool) -> Vec<String> {
    let file = format!("{CORPUS}/{case}.toml");
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(format!("{file}: {p}"));
    if !case.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        problem("name it in snake_case (a-z, 0-9, _)".into());
    }
    if !dir.join(format!("{case}.in")).is_dir() {
        // Without one, trycmd would run the case in the crate's own directory.
        problem(format!("no {case}.in/ directory to run in (an empty one holds a `.keep` file)"));
    }
    let text = std::fs::read_to_string(dir.join(format!("{case}.toml"))).unwrap();
    let doc: toml_edit::DocumentMut = match text.parse() {
        Ok(doc) => doc,
        Err(e) => {
            problem(format!("not TOML: {e}"));
            return problems;
        }
    };
    for (key, _) in doc.iter() {
        if !KEYS.contains(&key) {
            problem(format!("`{key}` is not a case's to set (only {})", KEYS.join(", ")));
        }
    }
    if doc.get("args").and_then(toml_edit::Item::as_array).is_none() {
        problem("`args` must be a list of arguments".into());
    }
    let status =
        doc.get("status").and_then(|s| s.get("code")).and_then(toml_edit::Item::as_integer);
    if status != Some(2) {
        problem("must expect `status.code = 2`".into());
    }
    if doc.get("stdout").and_then(toml_edit::Item::as_str) != Some("") {
        problem("must expect nothing on stdout: `stdout = \"\"`".into());
    }
    match doc.get("stderr").and_then(toml_edit::Item::as_str) {
        None => problem("must give the expected `stderr` inline".into()),
        Some("") if overwrite => {}
        Some(err) => {
            let line = err.strip_suffix('\n').unwrap_or(err);
            if !err.ends_with('\n') || line.contains('\n') || line.contains('\r') {
                problem(format!("stderr must be exactly one line, ending in \\n: {err:?}"));
            }
            if !line.starts_with("error: ") {
                problem(format!("stderr must start with `error: `: {err:?}"));
            }
            if line.contains('\x1b') {
                problem(format!("stderr must hold no escape sequence: {err:?}"));
            }
            for elision in ["[..]", "[ROOT]", "[CWD]", "[EXE]"] {
                if line.contains(elision) {
                    problem(format!("stderr must be exact, without `{elision}`: {err:?}"));
                }
            }
        }
    }
    if let Some(env) = doc.get("env") {
        for (key, _) in env.as_table_like().into_iter().flat_map(|t| t.iter()) {
            if key != "add" {
                problem(format!("env.{key}: a case may only `env.add` (the defaults are shared)"));
            }
        }
        let added = env.get("add").and_then(toml_edit::Item::as_table_like);
        for (key, _) in added.into_iter().flat_map(|t| t.iter()) {
            if ["NO_COLOR", "PATH", "XDG_CACHE_HOME"].contains(&key) {
                problem(format!("env.add.{key} is set for every case and cannot be changed"));
            }
        }
    }
    if let Some(timeout) = doc.get("timeout") {
        let seconds =
            timeout.as_str().and_then(|t| t.strip_suffix('s')).and_then(|s| s.parse().ok());
        if !seconds.is_some_and(|s: u64| s > 0 && s <= MAX_SECONDS) {
            problem(format!("timeout must be \"Ns\" with N from 1 to {MAX_SECONDS}: {timeout}"));
        }
    }
    problems
}

/// Every path under a directory (relative, `.keep` files left out, as trycmd does) with what it
/// is: a directory, a file's mode and bytes, a symlink's target, or another kind of file.
type Tree = BTreeMap<String, Vec<u8>>;

fn tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == ".keep") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, describe(&path, &mut stack));
        }
    }
    out
}

/// The names directly in `dir` (the case files and directories, and anything written beside
/// them).
fn tree_top(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn describe(path: &Path, stack: &mut Vec<PathBuf>) -> Vec<u8> {
    let meta = std::fs::symlink_metadata(path).unwrap();
    let ty = meta.file_type();
    if ty.is_symlink() {
        format!("symlink to {}", std::fs::read_link(path).unwrap().display()).into_bytes()
    } else if ty.is_dir() {
        stack.push(path.to_path_buf());
        b"directory".to_vec()
    } else if ty.is_file() {
        let mut out = format!("file {:o}\n", meta.permissions().mode() & 0o7777).into_bytes();
        out.extend(std::fs::read(path).unwrap_or_default());
        out
    } else {
        b"special file".to_vec()
    }
}

/// Copies the corpus: files with their mode, symlinks as symlinks, `.keep` files dropped (they
/// only make git keep an empty directory).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ty = entry.file_type().unwrap();
        if ty.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if ty.is_dir() {
            copy_tree(&src, &dst);
        } else if entry.file_name() != ".keep" {
            // std::fs::copy keeps the permission bits: a stand-in helm stays executable.
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}
