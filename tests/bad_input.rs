//! The bad-input corpus (issue 7): whatever is thrown at helm-harden, it answers with one line
//! on stderr naming the file (and line), exit code 2, nothing on stdout, and no file created or
//! changed.
//!
//! Most cases are data: one file each under `tests/cmd/bad-input/`, run by trycmd in
//! `tests/bad_input_cases.rs`, which holds them to this same contract. What stays here is what a
//! case file cannot hold, each test saying why: special files (FIFOs, a directory with
//! permission 000) that git does not keep, inputs too large to commit, signals, real helm, and
//! inputs that must work, whose report is checked in part.
//!
//! Each case runs in a temporary directory of its own, with relative paths, so the expected
//! message can be exact about `file:line:col`. The directory is snapshotted (every path and its
//! bytes) before and after the run: nothing may appear, vanish or change. helm is a shell script
//! standing in for it where a failure mode is wanted on demand; the few cases that need real helm
//! skip with a message when none is found.

mod common;

use assert_cmd::Command;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHART_YAML: &str = "apiVersion: v2\nname: gloo\nversion: 1.17.38\n";
/// A tiny valid render: one Settings object, enough for every rule to run.
const RENDER: &str = "---\n# Source: gloo/templates/18-settings.yaml\napiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata:\n  name: default\n  namespace: gloo-system\nspec:\n  gateway:\n    validation:\n      allowWarnings: false\n";

/// A temporary working directory with a chart in `chart/`, and the command to run in it.
struct Case {
    dir: tempfile::TempDir,
    cmd: Command,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "chart/Chart.yaml", CHART_YAML);
        write(dir.path(), "chart/templates/settings.yaml", "kind: Settings\n");
        let mut cmd = common::helm_harden();
        // No helm or config from the environment: each case says what it uses.
        cmd.current_dir(dir.path())
            .env_remove("HELM_BIN")
            .env("NO_COLOR", "1")
            .env("PATH", "/usr/bin:/bin");
        Case { dir, cmd }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str, text: impl AsRef<[u8]>) -> &Case {
        write(self.path(), name, text);
        self
    }

    /// A stand-in helm (`./helm`) running `body` as a shell script.
    fn helm(&mut self, body: &str) -> &mut Case {
        let path = write(self.path(), "helm", format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        self.cmd.env("HELM_BIN", &path);
        self
    }

    fn args<'a>(&mut self, args: impl IntoIterator<Item = &'a str>) -> &mut Case {
        self.cmd.args(args);
        self
    }

    /// Runs the command and asserts the error contract; returns stderr's line.
    fn fails(&mut self, case: &str, expected: &[&str]) -> String {
        let before = snapshot(self.path());
        let started = Instant::now();
        let out = self.cmd.timeout(Duration::from_secs(60)).output().unwrap();
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "[{case}] exit code; stderr: {stderr}");
        assert!(stdout.is_empty(), "[{case}] nothing on stdout, got: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "[{case}] one line on stderr, got: {stderr:?}");
        assert!(stderr.starts_with("error: "), "[{case}] `error: ` prefix: {stderr}");
        assert!(!stderr.contains('\x1b'), "[{case}] no escape sequence in the error: {stderr:?}");
        for e in expected {
            assert!(stderr.contains(e), "[{case}] expected `{e}` in: {stderr}");
        }
        assert!(elapsed < Duration::from_secs(30), "[{case}] took {elapsed:?}");
        assert_eq!(snapshot(self.path()), before, "[{case}] no file created, removed or changed");
        stderr.trim_end().to_string()
    }

    /// Runs the command and asserts it is not an error: exit 0 or 1, a report on stdout.
    fn works(&mut self, case: &str) -> (i32, String) {
        let out = self.cmd.timeout(Duration::from_secs(60)).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        assert!(code == 0 || code == 1, "[{case}] exit {code}; stderr: {stderr}");
        (code, String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// Every path under `dir` with its bytes (directories and special files by type only).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let ty = e.file_type().unwrap();
            let content = if ty.is_dir() {
                stack.push(path.clone());
                b"<dir>".to_vec()
            } else if ty.is_file() {
                let meta = e.metadata().unwrap();
                if meta.len() > 4 << 20 {
                    format!("<{} bytes, modified {:?}>", meta.len(), meta.modified().ok())
                        .into_bytes()
                } else {
                    std::fs::read(&path).unwrap_or_default()
                }
            } else {
                b"<special>".to_vec()
            };
            out.insert(path, content);
        }
    }
    out
}

fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `--manifests -` with `stdin` as the stream.
fn stdin_case(stdin: &str) -> Case {
    let mut c = Case::new();
    c.cmd.args(["check", "--manifests", "-"]).write_stdin(stdin.to_string());
    c
}

/// `check --manifests render.yaml` with the render given.
fn manifests_case(render: impl AsRef<[u8]>) -> Case {
    let mut c = Case::new();
    c.file("render.yaml", render);
    c.cmd.args(["check", "--manifests", "render.yaml"]);
    c
}

/// `check --manifests render.yaml -f values.yaml` with the values given.
fn values_case(values: impl AsRef<[u8]>) -> Case {
    let mut c = manifests_case(RENDER);
    c.file("values.yaml", values);
    c.cmd.args(["-f", "values.yaml"]);
    c
}

/// `check chart` through a stand-in helm running `body`.
fn helm_case(body: &str) -> Case {
    let mut c = Case::new();
    c.helm(body).args(["check", "chart"]);
    c
}

// ---- special files, which git does not keep -------------------------------------------------

// Not a case file: git keeps no directory of permission 000, and as root the test skips
// (permission bits do not stop root's reads).
#[test]
fn chart_directory_unreadable() {
    if running_as_root() {
        common::skip_here("running as root, where permission 000 does not stop reads");
        return;
    }
    let mut c = Case::new();
    std::fs::set_permissions(c.path().join("chart"), std::fs::Permissions::from_mode(0o000))
        .unwrap();
    c.args(["check", "chart"]);
    let before = Instant::now();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.fails(
            "chart_directory_unreadable",
            &["error: chart: cannot read chart directory: permission denied"],
        )
    }));
    std::fs::set_permissions(c.path().join("chart"), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    assert!(before.elapsed() < Duration::from_secs(30));
    result.unwrap();
}

// Not a case file: git keeps no FIFO (made here with mkfifo).
#[test]
fn values_file_is_a_fifo_and_nothing_blocks() {
    let mut c = manifests_case(RENDER);
    let fifo = c.path().join("values.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        common::skip("mkfifo unavailable");
        return;
    }
    c.args(["-f", "values.fifo"])
        .fails("values_file_is_a_fifo", &["error: values.fifo: cannot read values file: not a regular file (a FIFO, socket or device)"]);
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644))
        .unwrap_or_else(|e| panic!("mkfifo {}: {e}", path.display()));
}

// Not a case file: git keeps no FIFO.
#[test]
fn sarif_file_that_is_a_fifo_is_refused() {
    let mut c = manifests_case(RENDER);
    mkfifo(&c.path().join("out.sarif"));
    c.args(["--sarif-file", "out.sarif"])
        .fails("sarif_file_fifo", &["error: out.sarif: is not a regular file (a device, FIFO or socket); refusing to replace it"]);
}

fn overlay_case() -> Case {
    let mut c = Case::new();
    c.file("render.yaml", RENDER);
    c.cmd.args(["overlay", "--manifests", "render.yaml"]);
    c
}

// Not a case file: git keeps no FIFO.
#[test]
fn overlay_write_force_over_a_fifo_is_refused() {
    let mut c = overlay_case();
    mkfifo(&c.path().join("overlay.yaml"));
    c.args(["--write", "overlay.yaml", "--force"])
        .fails("overlay_write_force_over_a_fifo", &["error: overlay.yaml: is not a regular file"]);
}

// ---- inputs too large to commit ------------------------------------------------------------

// Not a case file: a 40 MiB values file (sparse here, made with set_len) has no place in git.
#[test]
fn values_file_over_the_size_limit() {
    let mut c = manifests_case(RENDER);
    // Sparse: 40 MiB on paper, nothing on disk.
    let f = std::fs::File::create(c.path().join("huge.yaml")).unwrap();
    f.set_len(40 << 20).unwrap();
    c.args(["-f", "huge.yaml"]).fails(
        "values_file_over_the_size_limit",
        &["error: huge.yaml: values file is larger than the 32 MiB limit"],
    );
}

// Not a case file: a 1.2 MB generated render is not worth 1.2 MB in every checkout.
#[test]
fn manifests_over_the_size_limit() {
    let big = format!("{RENDER}# {}\n", "x".repeat(1_200_000));
    let mut c = manifests_case(big);
    c.args(["--max-render-mb", "1"]).fails(
        "manifests_over_the_size_limit",
        &["error: render.yaml: manifests exceed the 1 MiB limit (raise it with --max-render-mb)"],
    );
}

// ---- signals -------------------------------------------------------------------------------

/// Ctrl-C in a pre-commit run, a cancelled CI job or `timeout` while helm runs: helm and what it
/// started stop too (helm has a process group of its own, which the terminal's signal does not
/// reach), no temporary directory is left, and the process ends by the signal as callers expect.
// Not a case file: sends signals to the run while helm runs, and looks for its processes in /proc.
#[test]
fn a_signal_while_helm_runs_stops_helm_and_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    for signal in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        let mut c = Case::new();
        c.helm("echo $$ > helm.pid\nsleep 300 &\necho $! > child.pid\nsleep 300");
        let tmp = c.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_helm-harden"))
            .args(["check", "chart", "--no-cache"])
            .current_dir(c.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HELM_BIN", c.path().join("helm"))
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !c.path().join("child.pid").exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "helm never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            std::fs::read_dir(&tmp).unwrap().next().is_some(),
            "the run's no-plugins directory exists while helm runs"
        );
        kill(Pid::from_raw(run.id() as i32), signal).unwrap();
        let status = loop {
            if let Some(status) = run.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "helm-harden did not stop on signal {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.signal(), Some(signal as i32), "ends by the signal");
        for pid_file in ["helm.pid", "child.pid"] {
            let pid = std::fs::read_to_string(c.path().join(pid_file)).unwrap().trim().to_string();
            // Gone, or a zombie waiting for a reaper: not running either way.
            let gone = || {
                std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
                    stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'))
                })
            };
            let waited = Instant::now();
            while !gone() && waited.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(gone(), "{pid_file} ({pid}) still runs after signal {signal}");
        }
        assert_eq!(
            std::fs::read_dir(&tmp).unwrap().count(),
            0,
            "no temporary directory left after signal {signal}"
        );
    }
}

/// A signal the caller set to be ignored stays ignored (`nohup` ignores SIGHUP, a script's
/// background job SIGINT): the run goes on.
// Not a case file: the run starts with SIGHUP ignored and gets one while helm runs.
#[test]
fn a_signal_the_caller_ignores_does_not_stop_the_run() {
    use std::os::unix::process::CommandExt;
    let mut c = Case::new();
    c.helm("echo $$ > helm.pid\nsleep 2\ncat render.yaml");
    c.file("render.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_helm-harden"));
    command
        .args(["check", "chart", "--no-cache"])
        .current_dir(c.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HELM_BIN", c.path().join("helm"));
    command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    // SAFETY: signal(2) in the child between fork and exec, as nohup does.
    unsafe {
        command.pre_exec(|| {
            nix::sys::signal::signal(Signal::SIGHUP, nix::sys::signal::SigHandler::SigIgn)?;
            Ok(())
        });
    }
    let mut run = command.spawn().unwrap();
    let started = Instant::now();
    while !c.path().join("helm.pid").exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "helm never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    kill(Pid::from_raw(run.id() as i32), Signal::SIGHUP).unwrap();
    let status = run.wait().unwrap();
    assert!(
        status.code().is_some(),
        "the run ends by its own exit, not by the ignored signal: {status:?}"
    );
}

// ---- real helm -----------------------------------------------------------------------------

// Not a case file: real helm (from $HELM_BIN, which the case files never see; skips without
// one), whose own message differs between helm 3 and 4.
#[test]
fn packaged_chart_that_is_not_a_chart() {
    let Some(helm) = common::helm_or_skip() else { return };
    let mut c = Case::new();
    c.file("broken.tgz", "this is not gzip\n");
    c.cmd.env("HELM_BIN", &helm);
    c.args(["check", "broken.tgz"]).fails(
        "packaged_chart_that_is_not_a_chart",
        &["error: broken.tgz: helm template failed: "],
    );
}

/// The umbrella fixture without its vendored `charts/`, next to the gloo-mini chart it depends on
/// (`repository: file://../gloo-mini`), in the case's directory.
fn umbrella_without_dependencies(c: &Case) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts");
    for (from, to) in [
        ("umbrella/Chart.yaml", "umbrella/Chart.yaml"),
        ("umbrella/values.yaml", "umbrella/values.yaml"),
    ] {
        c.file(to, std::fs::read(fixtures.join(from)).unwrap());
    }
    let mini = fixtures.join("gloo-mini");
    let mut stack = vec![mini.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(&mini).unwrap().to_path_buf();
                c.file(&format!("gloo-mini/{}", rel.display()), std::fs::read(e.path()).unwrap());
            }
        }
    }
}

// Not a case file: real helm, and fixtures copied from fixtures/charts; the second run must
// work and fetch.
#[test]
fn chart_with_missing_dependencies_is_not_fetched_unless_asked() {
    let Some(helm) = common::helm_or_skip() else { return };
    let mut c = Case::new();
    umbrella_without_dependencies(&c);
    let unused_cache = tempfile::tempdir().unwrap();
    c.cmd.env("HELM_BIN", &helm).env("HELM_CACHE_HOME", unused_cache.path());
    c.args(["check", "umbrella", "-n", "gloo-system"]);
    // Nothing fetched: the snapshot of the directory is unchanged.
    c.fails(
        "chart_with_missing_dependencies",
        &["error: umbrella: helm template failed: ", "gloo"],
    );
    let mut c2 = Case::new();
    umbrella_without_dependencies(&c2);
    let cache = tempfile::tempdir().unwrap();
    c2.cmd
        .env("HELM_BIN", &helm)
        .env("HELM_CACHE_HOME", cache.path())
        .env("HELM_CONFIG_HOME", cache.path())
        .env("HELM_DATA_HOME", cache.path());
    let (code, out) = c2
        .args(["check", "umbrella", "-n", "gloo-system", "--dependency-update", "--format", "json"])
        .works("dependency_update_with_real_helm");
    assert_eq!(code, 1, "the default values fail the gate");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["chart"]["version"], "1.17.0", "gloo found in the fetched dependency: {out}");
    assert!(!failing_rules(&out).is_empty());
}

// Not a case file: real helm, and a chart from fixtures/charts by absolute path; must work.
#[test]
fn real_helm_renders_with_the_empty_plugin_directory() {
    let Some(helm) = common::helm_or_skip() else { return };
    let mut c = Case::new();
    c.cmd.env("HELM_BIN", &helm);
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/gloo-mini");
    let (_, out) =
        c.args(["check"]).arg_path(&chart).args(["--format", "json"]).works("real_helm_no_plugins");
    assert!(!failing_rules(&out).is_empty());
}

impl Case {
    fn arg_path(&mut self, p: &Path) -> &mut Case {
        self.cmd.arg(p);
        self
    }
}

// ---- inputs that must work, not fail -------------------------------------------------------

// Not case files: the case files hold the error contract (exit 2, one line on stderr, nothing on
// stdout); these runs must work, and each checks part of the JSON report (a finding there or
// not there), compares two runs, or watches what helm did, which a whole-stream match cannot.

/// Rule IDs of the JSON report's failures.
fn failing_rules(stdout: &str) -> Vec<String> {
    common::finding_rules(&serde_json::from_str(stdout).unwrap())
}

// Checks that a finding is absent from the report: trycmd matches what is there.
#[test]
fn values_with_a_key_given_twice_keep_helms_last_wins() {
    // Only the config is strict: helm takes the last value of a values file, and so does the check.
    let mut c =
        values_case("gateway:\n  validation:\n    allowWarnings: true\n    allowWarnings: false\n");
    let (_, out) = c.args(["--format", "json"]).works("values_with_a_key_given_twice");
    assert!(
        !failing_rules(&out).contains(&"GLOO-005".to_string()),
        "the last value (false) holds: {out}"
    );
}

// Picks one finding out of the JSON report and checks its message.
#[test]
fn duplicate_keys_are_a_finding_not_an_error() {
    let render = RENDER.replace(
        "      allowWarnings: false\n",
        "      allowWarnings: false\n      allowWarnings: true\n",
    );
    let mut c = manifests_case(render);
    let (code, out) = c.args(["--format", "json"]).works("duplicate_keys");
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let hh = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "HH-001")
        .expect("HH-001 reported");
    assert!(
        hh["message"].as_str().unwrap().contains("spec.gateway.validation.allowWarnings"),
        "{hh}"
    );
}

// Compares the verdicts of two runs (plain and CRLF with a BOM).
#[test]
fn crlf_line_endings_and_a_byte_order_mark_work() {
    let plain = {
        let (_, out) = manifests_case(RENDER).args(["--format", "json"]).works("plain");
        failing_rules(&out)
    };
    let crlf = format!("\u{feff}{}", RENDER.replace('\n', "\r\n"));
    let mut c = manifests_case(crlf);
    c.file("values.yaml", "\u{feff}gateway:\r\n  validation:\r\n    allowWarnings: false\r\n");
    let (_, out) = c.args(["--format", "json", "-f", "values.yaml"]).works("crlf_and_bom");
    assert_eq!(failing_rules(&out), plain, "same verdicts with CRLF and a BOM");
}

// Two runs (a file and stdin), each must exit 0 or 1.
#[test]
fn the_largest_render_limit_works() {
    // 2^64-1 MiB saturates instead of overflowing into a limit of 0.
    manifests_case(RENDER)
        .args(["--max-render-mb", "18446744073709551615"])
        .works("largest_render_limit");
    stdin_case(RENDER)
        .args(["--max-render-mb", "18446744073709551615"])
        .works("largest_render_limit_stdin");
}

// Checks that the report has findings.
#[test]
fn a_stream_without_source_comments_works() {
    let bare = RENDER.replace("# Source: gloo/templates/18-settings.yaml\n", "");
    let (_, out) = manifests_case(bare).args(["--format", "json"]).works("no_source_comments");
    assert!(!failing_rules(&out).is_empty());
}

// A 3 MB generated render, and a 20 s bound.
#[test]
fn a_huge_single_line_within_the_limit_works() {
    let render = format!("{RENDER}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{blob: \"{}\"}}\n", "x".repeat(3_000_000));
    let started = Instant::now();
    manifests_case(render).works("huge_single_line");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

// Writes a file by design, then checks the symlink and the SARIF written through it.
#[test]
fn sarif_file_that_is_a_symlink_to_a_regular_file_is_written_through() {
    let mut c = manifests_case(RENDER);
    c.file("reports/real.sarif", "stale");
    std::os::unix::fs::symlink("reports/real.sarif", c.path().join("link.sarif")).unwrap();
    c.args(["--sarif-file", "link.sarif"]).works("sarif_file_symlink_to_file");
    assert!(
        std::fs::symlink_metadata(c.path().join("link.sarif")).unwrap().file_type().is_symlink(),
        "the symlink stays"
    );
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(c.path().join("reports/real.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["version"], "2.1.0");
}

// Looks for helm's leftover child in /proc after the run.
#[test]
fn helm_leaving_a_child_that_holds_its_output_open_does_not_hang() {
    // helm exits, but a process it started keeps stdout open: the readers must not wait for it.
    let tmp_pid = "child.pid";
    let mut c = helm_case(&format!("cat render.yaml\n(sleep 300) &\necho $! > {tmp_pid}\nexit 0"));
    c.file("render.yaml", RENDER);
    let started = Instant::now();
    c.works("helm_leaves_a_child");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    let pid = std::fs::read_to_string(c.path().join(tmp_pid)).unwrap().trim().to_string();
    std::thread::sleep(Duration::from_millis(200));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "helm's leftover child {pid} was killed: {stat}"
    );
}

// Reads what the stand-in helm recorded, with $HELM_PLUGINS an absolute path into the case's
// directory; two runs.
#[test]
fn helm_sees_no_plugins_and_no_post_renderer() {
    // The stand-in records its arguments and what $HELM_PLUGINS holds, then renders.
    let mut c = helm_case("echo \"$@\" >> args.txt\necho \"$HELM_PLUGINS\" > plugins.txt\nls -A \"$HELM_PLUGINS\" > plugin-list.txt\ncat render.yaml");
    c.file("render.yaml", RENDER);
    let installed = c.path().join("installed-plugins/evil");
    std::fs::create_dir_all(&installed).unwrap();
    c.cmd.env("HELM_PLUGINS", c.path().join("installed-plugins"));
    c.works("helm_sees_no_plugins");
    let all_calls = std::fs::read_to_string(c.path().join("args.txt")).unwrap();
    // The render cache may ask `helm version` too; the render is the `template` call.
    let args = all_calls
        .lines()
        .find(|l| l.starts_with("template "))
        .unwrap_or_else(|| panic!("no template call: {all_calls}"))
        .to_string();
    assert!(args.starts_with("template chart"), "{args}");
    assert!(!args.contains("--post-renderer") && !args.contains("--dependency-update"), "{args}");
    let plugins = std::fs::read_to_string(c.path().join("plugins.txt")).unwrap();
    assert!(
        !plugins.contains("installed-plugins"),
        "helm got our empty plugin directory, not the user's: {plugins}"
    );
    assert_eq!(
        std::fs::read_to_string(c.path().join("plugin-list.txt")).unwrap(),
        "",
        "and it is empty"
    );
    // Dependencies are fetched only when asked, in a step of their own before the render.
    std::fs::remove_file(c.path().join("args.txt")).unwrap();
    c.args(["--dependency-update"]).works("dependency_update");
    let args = std::fs::read_to_string(c.path().join("args.txt")).unwrap();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        ["dependency update chart", "template chart"],
        "{args}"
    );
}
