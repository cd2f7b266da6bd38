//! The bad-input corpus (issue 7): whatever is thrown at helm-harden, it answers with one line
//! on stderr naming the file (and line), exit code 2, nothing on stdout, and no file created or
//! changed. One `#[test]` per case, so a failure names the case.
//!
//! Each case runs in a temporary directory of its own, with relative paths, so the expected
//! message can be exact about `file:line:col`. The directory is snapshotted (every path and its
//! bytes) before and after the run: nothing may appear, vanish or change. helm is a shell script
//! standing in for it where a failure mode is wanted on demand; the few cases that need real helm
//! skip with a message when none is found.

mod common;

use assert_cmd::Command;
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
    // SAFETY: geteuid(2) has no preconditions.
    unsafe { libc::geteuid() == 0 }
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

// ---- the chart ------------------------------------------------------------------------------

#[test]
fn chart_missing() {
    Case::new()
        .args(["check", "no-such-chart"])
        .fails("chart_missing", &["error: no-such-chart: chart not found"]);
}

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

#[test]
fn chart_directory_without_chart_yaml() {
    let mut c = Case::new();
    std::fs::create_dir(c.path().join("empty")).unwrap();
    c.args(["check", "empty"]).fails(
        "chart_directory_without_chart_yaml",
        &["error: empty: not a chart: no Chart.yaml in this directory"],
    );
}

#[test]
fn chart_yaml_does_not_parse() {
    let mut c = Case::new();
    c.file("chart/Chart.yaml", "apiVersion: v2\nname: [gloo\n");
    c.args(["check", "chart"])
        .fails("chart_yaml_does_not_parse", &["error: chart/Chart.yaml:2:12: invalid YAML: "]);
}

#[test]
fn chart_yaml_without_name() {
    let mut c = Case::new();
    c.file("chart/Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n");
    c.args(["check", "chart"])
        .fails("chart_yaml_without_name", &["error: chart/Chart.yaml:1:1: Chart.yaml has no name"]);
}

#[test]
fn chart_is_a_device() {
    Case::new().args(["check", "/dev/null"]).fails(
        "chart_is_a_device",
        &["error: /dev/null: not a chart: neither a directory nor a packaged .tgz"],
    );
}

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

// ---- values files and --set -----------------------------------------------------------------

#[test]
fn values_yaml_that_does_not_parse_names_line_and_column() {
    values_case("gateway:\n  validation: {allowWarnings: true\n")
        .fails("values_yaml_that_does_not_parse", &["error: values.yaml:2:35: invalid YAML: "]);
}

#[test]
fn values_indented_with_tabs() {
    values_case("gateway:\n\tvalidation: true\n").fails(
        "values_indented_with_tabs",
        &["error: values.yaml:2:2: invalid YAML: tabs disallowed"],
    );
}

#[test]
fn values_that_are_a_scalar() {
    values_case("just a sentence\n").fails(
        "values_that_are_a_scalar",
        &["error: values.yaml:1:1: values must be a mapping of keys, not a list or a scalar"],
    );
}

#[test]
fn values_that_are_a_list_after_comments() {
    values_case("# header\n\n- a\n- b\n")
        .fails("values_that_are_a_list", &["error: values.yaml:3:1: values must be a mapping"]);
}

#[test]
fn values_file_is_a_directory() {
    let mut c = manifests_case(RENDER);
    std::fs::create_dir(c.path().join("values.d")).unwrap();
    c.args(["-f", "values.d"]).fails(
        "values_file_is_a_directory",
        &["error: values.d: cannot read values file: it is a directory"],
    );
}

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

#[test]
fn values_file_is_dev_zero_and_the_read_is_bounded() {
    let mut c = manifests_case(RENDER);
    c.args(["-f", "/dev/zero"]).fails(
        "values_file_is_dev_zero",
        &["error: /dev/zero: cannot read values file: not a regular file"],
    );
}

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

#[test]
fn values_not_utf8() {
    values_case(b"gateway:\n  name: caf\xe9\n")
        .fails("values_not_utf8", &["error: values.yaml:2:1: values file is not UTF-8"]);
}

#[test]
fn values_alias_bomb_is_refused_fast() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{p}"); 10].join(", ")));
    }
    let started = Instant::now();
    values_case(text).fails(
        "values_alias_bomb",
        &["error: values.yaml:", "alias expansion exceeds 1000000 nodes"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded and fast: {:?}",
        started.elapsed()
    );
}

#[test]
fn values_nested_too_deep() {
    let text: String = (0..300).map(|depth| format!("{}k{depth}:\n", " ".repeat(depth))).collect();
    values_case(text).fails(
        "values_nested_too_deep",
        &["error: values.yaml:201:201: invalid YAML: nesting deeper than 200 levels"],
    );
}

#[test]
fn values_file_missing() {
    let mut c = manifests_case(RENDER);
    c.args(["-f", "nope.yaml"])
        .fails("values_file_missing", &["error: nope.yaml: cannot read values file: no such file"]);
}

#[test]
fn set_with_unclosed_bracket() {
    let mut c = manifests_case(RENDER);
    c.args(["--set", "gatewayProxies[0.name=x"]).fails(
        "set_with_unclosed_bracket",
        &["error: --set gatewayProxies[0.name: unclosed '[' in the key"],
    );
}

#[test]
fn set_with_empty_key() {
    let mut c = manifests_case(RENDER);
    c.args(["--set-string", "=x"])
        .fails("set_with_empty_key", &["error: --set-string: empty key before '='"]);
}

#[test]
fn set_error_does_not_echo_the_other_values() {
    let mut c = manifests_case(RENDER);
    let err = c.args(["--set", "db.password=hunter2-planted,broken"]).fails(
        "set_error_does_not_echo_the_other_values",
        &["error: --set broken: expected key=value (missing '=')"],
    );
    assert!(!err.contains("hunter2"), "{err}");
}

// ---- helm -----------------------------------------------------------------------------------

#[test]
fn helm_missing_from_path() {
    Case::new()
        .args(["check", "chart"])
        .fails("helm_missing_from_path", &["error: helm not found: install helm"]);
}

#[test]
fn helm_exits_non_zero_with_its_stderr_trimmed() {
    let mut c = helm_case("i=0; while [ $i -lt 200 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done\necho 'Error: execution error at (gloo/templates/x.yaml:3:4): boom' >&2\nexit 1");
    let err = c.fails(
        "helm_exits_non_zero",
        &[
            "error: chart: helm template failed: ",
            "Error: execution error at (gloo/templates/x.yaml:3:4): boom",
        ],
    );
    assert!(
        !err.contains("noise line 1 ") && !err.contains("noise line 10 "),
        "trimmed to the last lines: {err}"
    );
    assert!(err.len() < 800, "trimmed: {} chars", err.len());
}

#[test]
fn helm_error_keeps_its_first_line_naming_the_template() {
    // What helm prints for `{{ fail "tls.secretName is required\nSet it in values.yaml\nSee docs" }}`.
    let mut c = helm_case("printf 'Error: execution error at (gloo/templates/zz.yaml:1:3): tls.secretName is required\\nSet it in values.yaml\\nSee docs\\nUse --debug flag to render out invalid YAML\\n' >&2\nexit 1");
    c.fails(
        "helm_error_keeps_its_first_line",
        &["error: chart: helm template failed: Error: execution error at (gloo/templates/zz.yaml:1:3): tls.secretName is required | Set it in values.yaml | See docs | "],
    );
}

#[test]
fn a_long_helm_error_is_shortened_from_its_end() {
    let mut c = helm_case("echo 'walk.go:74: found symbolic link' >&2\necho 'Error: execution error at (gloo/templates/zz.yaml:1:3): L1' >&2\ni=0; while [ $i -lt 100 ]; do echo \"detail line $i\" >&2; i=$((i+1)); done\nexit 1");
    let err = c.fails("a_long_helm_error", &["error: chart: helm template failed: Error: execution error at (gloo/templates/zz.yaml:1:3): L1 | detail line 0 | detail line 1 | "]);
    assert!(err.ends_with('…') && !err.contains("detail line 99"), "the end is dropped: {err}");
    assert!(err.chars().count() < 700, "shortened: {} chars", err.chars().count());
}

#[test]
fn set_values_never_reach_the_terminal_through_helm_errors() {
    // helm quotes values in its errors (`range can't iterate over ghp_...`): the stand-in quotes
    // every argument it got, and when asked to fetch dependencies, a token as well.
    let mut c = helm_case("if [ \"$1\" = dependency ]; then echo 'Error: cannot fetch with ghp_SECRETabcdef1234567890' >&2; exit 1; fi\necho \"Error: range can't iterate over $*\" >&2\nexit 1");
    c.args([
        "--set",
        "gatewayProxies=ghp_SECRETabcdef1234567890,replicas=2",
        "--set-string",
        "apiKey=sk\\,live\\,OTHER99",
    ]);
    let err = c.fails(
        "set_values_redacted",
        &["--set gatewayProxies=***,replicas=2 --set-string apiKey=***"],
    );
    for secret in ["ghp_SECRET", "sk\\,live", "OTHER99"] {
        assert!(!err.contains(secret), "{secret} in: {err}");
    }
    let err = c.args(["--dependency-update"]).fails(
        "set_values_redacted_dependency_update",
        &["helm dependency update failed: Error: cannot fetch with ***"],
    );
    assert!(!err.contains("ghp_SECRET"), "{err}");
}

#[test]
fn helm_stderr_with_escape_sequences_is_cleaned() {
    // A chart's `fail` message reaches helm's stderr verbatim.
    let mut c =
        helm_case("printf 'Error: \\033[2J\\033[31mfail from chart\\342\\200\\256\\n' >&2\nexit 1");
    let err = c.fails("helm_stderr_with_escape_sequences", &["fail from chart"]);
    assert!(!err.contains('\u{202e}'), "no bidi control: {err:?}");
}

#[test]
fn helm_hangs_after_printing_half_a_render() {
    let mut c = helm_case("printf 'apiVersion: v1\\nkind: ConfigMap\\n'\nsleep 300");
    c.args(["--timeout", "1"]).fails(
        "helm_hangs_after_printing_half_a_render",
        &["error: helm did not finish within 1s and was killed (raise --timeout)"],
    );
}

/// Ctrl-C in a pre-commit run, a cancelled CI job or `timeout` while helm runs: helm and what it
/// started stop too (helm has a process group of its own, which the terminal's signal does not
/// reach), no temporary directory is left, and the process ends by the signal as callers expect.
#[test]
fn a_signal_while_helm_runs_stops_helm_and_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
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
        // SAFETY: kill(2) on the child this test spawned.
        unsafe { libc::kill(run.id() as i32, signal) };
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
        assert_eq!(status.signal(), Some(signal), "ends by the signal");
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
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut run = command.spawn().unwrap();
    let started = Instant::now();
    while !c.path().join("helm.pid").exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "helm never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on the child this test spawned.
    unsafe { libc::kill(run.id() as i32, libc::SIGHUP) };
    let status = run.wait().unwrap();
    assert!(
        status.code().is_some(),
        "the run ends by its own exit, not by the ignored signal: {status:?}"
    );
}

#[test]
fn helm_renders_something_that_is_not_yaml() {
    let mut c = helm_case("printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: x\\n'");
    c.fails("helm_renders_something_that_is_not_yaml", &["error: render of chart:3:19: "]);
}

#[test]
fn helm_renders_nothing() {
    helm_case("printf '\\n---\\n# Source: gloo/templates/empty.yaml\\n'").fails(
        "helm_renders_nothing",
        &["error: render of chart: the render is empty: no Kubernetes object to check"],
    );
}

#[test]
fn helm_renders_non_utf8_bytes() {
    helm_case("printf 'kind: ConfigMap\\nmetadata: {name: caf\\351}\\n'").fails(
        "helm_renders_non_utf8_bytes",
        &["error: chart: helm printed bytes that are not UTF-8 (line 2 of the render)"],
    );
}

#[test]
fn helm_render_over_the_size_limit() {
    let mut c = helm_case("head -c 3000000 /dev/zero | tr '\\0' '#'\nsleep 300");
    c.args(["--max-render-mb", "1"]).fails(
        "helm_render_over_the_size_limit",
        &["error: chart: the render exceeds the 1 MiB limit (raise it with --max-render-mb)"],
    );
}

// ---- pre-rendered manifests -----------------------------------------------------------------

#[test]
fn manifests_stdin_ending_in_an_unterminated_flow_mapping() {
    stdin_case("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y\n").fails(
        "manifests_stdin_unterminated_flow_mapping",
        &["error: <stdin>:3:33: while parsing a flow mapping, did not find expected ',' or '}'"],
    );
}

#[test]
fn manifests_stdin_ending_in_an_unterminated_quoted_string() {
    stdin_case("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"gateway-proxy\n").fails(
        "manifests_stdin_unterminated_quoted_string",
        &["error: <stdin>:4:9: while scanning a quoted scalar, found unexpected end of stream"],
    );
}

#[test]
fn manifests_document_that_is_a_scalar() {
    manifests_case(format!("{RENDER}---\njust some text\n")).fails(
        "manifests_document_that_is_a_scalar",
        &["error: render.yaml:13:1: document is not a mapping (not a Kubernetes object)"],
    );
}

#[test]
fn manifests_alias_bomb_is_refused_fast() {
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!("  a{i}: &a{i} [{}]\n", vec![format!("*a{p}"); 10].join(", ")));
    }
    manifests_case(text)
        .fails("manifests_alias_bomb", &["error: render.yaml:", "alias expansion exceeds"]);
}

#[test]
fn manifests_nested_too_deep() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ".to_string()
        + &"{a: ".repeat(400)
        + &"}".repeat(400)
        + "\n";
    manifests_case(text).fails(
        "manifests_nested_too_deep",
        &["error: render.yaml:4:", "nesting deeper than 200 levels"],
    );
}

#[test]
fn manifests_over_the_size_limit() {
    let big = format!("{RENDER}# {}\n", "x".repeat(1_200_000));
    let mut c = manifests_case(big);
    c.args(["--max-render-mb", "1"]).fails(
        "manifests_over_the_size_limit",
        &["error: render.yaml: manifests exceed the 1 MiB limit (raise it with --max-render-mb)"],
    );
}

#[test]
fn manifests_path_is_a_directory() {
    let mut c = Case::new();
    c.args(["check", "--manifests", "chart"]).fails(
        "manifests_path_is_a_directory",
        &["error: chart: cannot read manifests: it is a directory"],
    );
}

#[test]
fn manifests_embedded_gateway_yaml_that_does_not_parse() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  labels: {gloo: custom-resources}\ndata:\n  custom-resources: |\n    apiVersion: gateway.solo.io/v1\n    kind: Gateway\n    metadata: {name: [gw\n";
    manifests_case(text).fails(
        "manifests_embedded_gateway_yaml_that_does_not_parse",
        &[
            "error: render.yaml:10:21: ",
            "in ConfigMap/gloo-custom-resource-config key custom-resources",
        ],
    );
}

// ---- the config -----------------------------------------------------------------------------

fn config_case(config: &str) -> Case {
    let mut c = manifests_case(RENDER);
    c.file("hh.yaml", config);
    c.cmd.args(["--config", "hh.yaml"]);
    c
}

#[test]
fn config_with_an_unknown_key() {
    config_case("fail-on: low\ntargetz: []\n")
        .fails("config_with_an_unknown_key", &["error: hh.yaml:2:1: unknown key `targetz`"]);
}

#[test]
fn config_with_an_unknown_rule_id_in_a_suppression() {
    config_case("suppressions:\n  - rule: GLOO-999\n    reason: x\n").fails(
        "config_with_an_unknown_rule_id",
        &["error: hh.yaml:2:11: unknown rule ID GLOO-999"],
    );
}

#[test]
fn config_with_a_bad_date() {
    config_case("suppressions:\n  - rule: GLOO-005\n    reason: x\n    expires: 2027-02-30\n")
        .fails(
            "config_with_a_bad_date",
            &["error: hh.yaml:4:14: expires: `2027-02-30` is not a date (YYYY-MM-DD)"],
        );
}

#[test]
fn config_that_does_not_parse() {
    config_case("rules:\n  GLOO-001: [off\n")
        .fails("config_that_does_not_parse", &["error: hh.yaml:2:17: invalid YAML: "]);
}

#[test]
fn config_with_a_bad_severity() {
    config_case("fail-on: extreme\n").fails(
        "config_with_a_bad_severity",
        &["error: hh.yaml:1:10: fail-on must be one of info, low, medium, high"],
    );
}

#[test]
fn config_with_an_unknown_suppression_key() {
    config_case("suppressions:\n  - rule: GLOO-005\n    reason: x\n    until: 2027-01-01\n").fails(
        "config_with_an_unknown_suppression_key",
        &["error: hh.yaml:4:5: unknown suppression key `until`"],
    );
}

#[test]
fn config_with_an_unknown_target_key() {
    config_case("targets:\n  - chart: chart\n    valuez: [a.yaml]\n").fails(
        "config_with_an_unknown_target_key",
        &["error: hh.yaml:3:5: unknown target key `valuez`"],
    );
}

#[test]
fn config_with_a_rule_given_twice() {
    config_case("rules:\n  GLOO-014: off\n  GLOO-014: high\n").fails(
        "config_with_a_rule_given_twice",
        &["error: hh.yaml:3:3: duplicate key GLOO-014 (first at line 2)"],
    );
}

#[test]
fn config_with_fail_on_given_twice() {
    config_case("fail-on: info\nfail-on: high\n").fails(
        "config_with_fail_on_given_twice",
        &["error: hh.yaml:2:1: duplicate key fail-on (first at line 1)"],
    );
}

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

#[test]
fn config_is_a_directory() {
    let mut c = manifests_case(RENDER);
    c.args(["--config", "chart"])
        .fails("config_is_a_directory", &["error: chart: cannot read config: it is a directory"]);
}

#[test]
fn config_missing() {
    let mut c = manifests_case(RENDER);
    c.args(["--config", "missing.yaml"])
        .fails("config_missing", &["error: missing.yaml: cannot read config: no such file"]);
}

// ---- arguments ------------------------------------------------------------------------------

#[test]
fn timeout_zero() {
    let mut c = manifests_case(RENDER);
    c.args(["--timeout", "0"])
        .fails("timeout_zero", &["error: invalid value '0' for '--timeout <SECS>'"]);
}

#[test]
fn max_render_mb_zero() {
    let mut c = manifests_case(RENDER);
    c.args(["--max-render-mb", "0"]).fails(
        "max_render_mb_zero",
        &["error: invalid value '0' for '--max-render-mb <MIB>': must be at least 1"],
    );
}

#[test]
fn unknown_format() {
    let mut c = manifests_case(RENDER);
    c.args(["--format", "xml"]).fails("unknown_format", &["error: invalid value 'xml' for '--format <FORMAT>' [possible values: text, json, sarif, github, junit]"]);
}

// ---- overlay --------------------------------------------------------------------------------

fn overlay_case() -> Case {
    let mut c = Case::new();
    c.file("render.yaml", RENDER);
    c.cmd.args(["overlay", "--manifests", "render.yaml"]);
    c
}

#[test]
fn overlay_file_that_does_not_parse() {
    let mut c = overlay_case();
    c.file("mine.yaml", "gateway:\n  validation: [\n");
    c.args(["--overlay", "mine.yaml"])
        .fails("overlay_file_that_does_not_parse", &["error: mine.yaml:2:16: invalid YAML: "]);
}

#[test]
fn overlay_write_into_a_missing_directory() {
    let mut c = overlay_case();
    c.args(["--write", "no/such/dir/overlay.yaml"]).fails(
        "overlay_write_into_a_missing_directory",
        &["error: no/such/dir/overlay.yaml: cannot write: "],
    );
}

#[test]
fn overlay_write_over_an_existing_file() {
    let mut c = overlay_case();
    c.file("overlay.yaml", "# mine, keep\n");
    c.args(["--write", "overlay.yaml"]).fails(
        "overlay_write_over_an_existing_file",
        &["error: overlay.yaml: exists; refusing to replace it (use --force)"],
    );
    assert_eq!(std::fs::read_to_string(c.path().join("overlay.yaml")).unwrap(), "# mine, keep\n");
}

// ---- files written: --sarif-file and overlay --write --force ------------------------------------

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo(3) with a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0, "mkfifo {}", path.display());
}

#[test]
fn sarif_file_that_is_a_fifo_is_refused() {
    let mut c = manifests_case(RENDER);
    mkfifo(&c.path().join("out.sarif"));
    c.args(["--sarif-file", "out.sarif"])
        .fails("sarif_file_fifo", &["error: out.sarif: is not a regular file (a device, FIFO or socket); refusing to replace it"]);
}

#[test]
fn sarif_file_that_is_a_symlink_to_a_device_is_refused() {
    let mut c = manifests_case(RENDER);
    std::os::unix::fs::symlink("/dev/null", c.path().join("null.sarif")).unwrap();
    c.args(["--sarif-file", "null.sarif"])
        .fails("sarif_file_symlink_to_device", &["error: null.sarif: is a symlink to something other than a regular file; refusing to replace it"]);
}

#[test]
fn sarif_file_that_is_an_input_is_refused() {
    values_case("gateway:\n  validation:\n    allowWarnings: false\n")
        .args(["--sarif-file", "values.yaml"])
        .fails(
            "sarif_file_values",
            &["error: values.yaml: is an input of this run; refusing to replace it"],
        );
    manifests_case(RENDER)
        .args(["--sarif-file", "./chart/../render.yaml"])
        .fails("sarif_file_manifests", &["error: ./chart/../render.yaml: is an input of this run"]);
    config_case("rules:\n  GLOO-015: off\n")
        .args(["--sarif-file", "hh.yaml"])
        .fails("sarif_file_config", &["error: hh.yaml: is an input of this run"]);
    let mut c = values_case("gateway: {}\n");
    std::os::unix::fs::symlink("values.yaml", c.path().join("link.sarif")).unwrap();
    c.args(["--sarif-file", "link.sarif"])
        .fails("sarif_file_symlink_to_values", &["error: link.sarif: is an input of this run"]);
}

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

#[test]
fn overlay_write_force_over_an_overlay_input_is_refused() {
    let mut c = overlay_case();
    c.file("mine.yaml", "gateway:\n  validation:\n    allowWarnings: false\n");
    c.args(["--overlay", "mine.yaml", "--write", "mine.yaml", "--force"]).fails(
        "overlay_write_force_over_its_input",
        &["error: mine.yaml: is an input of this run; refusing to replace it"],
    );
}

#[test]
fn overlay_write_force_over_a_fifo_is_refused() {
    let mut c = overlay_case();
    mkfifo(&c.path().join("overlay.yaml"));
    c.args(["--write", "overlay.yaml", "--force"])
        .fails("overlay_write_force_over_a_fifo", &["error: overlay.yaml: is not a regular file"]);
}

// ---- inputs that must work, not fail ----------------------------------------------------------

/// Rule IDs of the JSON report's failures.
fn failing_rules(stdout: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

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

#[test]
fn a_stream_without_source_comments_works() {
    let bare = RENDER.replace("# Source: gloo/templates/18-settings.yaml\n", "");
    let (_, out) = manifests_case(bare).args(["--format", "json"]).works("no_source_comments");
    assert!(!failing_rules(&out).is_empty());
}

#[test]
fn a_huge_single_line_within_the_limit_works() {
    let render = format!("{RENDER}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{blob: \"{}\"}}\n", "x".repeat(3_000_000));
    let started = Instant::now();
    manifests_case(render).works("huge_single_line");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

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
