//! Render step: `helm template` through the real helm binary.
//!
//! helm is found via `--helm`, then `$HELM_BIN` (set by helm when we run as a plugin), then
//! PATH. It runs in its own process group so that a timeout kills it and anything it started.
//! Only `helm template` runs: no post-renderer, no plugin (helm sees an empty `$HELM_PLUGINS`),
//! and no dependency update unless `--dependency-update` asks for one.

pub mod cache;
pub mod interrupt;
pub mod pair;

use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Everything `helm template` needs, in helm's own terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderRequest {
    pub chart: PathBuf,
    pub release: Option<String>,
    pub namespace: Option<String>,
    /// `-f` files, in order (later files win, as in helm).
    pub values: Vec<PathBuf>,
    pub set: Vec<String>,
    pub set_string: Vec<String>,
    pub kube_version: Option<String>,
    pub timeout: Option<Duration>,
    /// Largest render accepted, in bytes.
    pub max_bytes: usize,
    /// `--dependency-update`: `helm dependency update` before the render (off unless asked).
    pub dependency_update: bool,
    /// `--include-crds`: the chart's `crds/` in the render (GLOO-008 checks them).
    pub include_crds: bool,
}

/// Default cap on the size of a render (helm's own output), in bytes.
pub const DEFAULT_MAX_RENDER_BYTES: usize = 512 * 1024 * 1024;

/// Finds the helm binary: `--helm`, then `$HELM_BIN`, then PATH.
pub fn find_helm(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return usable(path, "--helm");
    }
    if let Some(path) = std::env::var_os("HELM_BIN").filter(|p| !p.is_empty()) {
        return usable(Path::new(&path), "$HELM_BIN");
    }
    which::which("helm").map_err(|_| {
        Error::new("helm not found: install helm (scripts/setup does), put it on PATH, or pass --helm PATH; --manifests FILE checks a pre-rendered stream without helm")
    })
}

fn usable(path: &Path, origin: &str) -> Result<PathBuf> {
    // A bare name ("helm") is looked up on PATH, as a shell would.
    let resolved = if path.components().count() == 1 {
        which::which(path).ok()
    } else {
        Some(path.to_path_buf())
    };
    match resolved {
        Some(p) if p.is_file() => Ok(p),
        _ => Err(Error::new(format!("helm not found at {} (from {origin})", path.display()))),
    }
}

impl RenderRequest {
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["template".to_string()];
        if let Some(release) = &self.release {
            args.push(release.clone());
        }
        args.push(self.chart.display().to_string());
        if let Some(ns) = &self.namespace {
            args.extend(["--namespace".into(), ns.clone()]);
        }
        for v in &self.values {
            args.extend(["--values".into(), v.display().to_string()]);
        }
        for s in &self.set {
            args.extend(["--set".into(), s.clone()]);
        }
        for s in &self.set_string {
            args.extend(["--set-string".into(), s.clone()]);
        }
        if let Some(kv) = &self.kube_version {
            args.extend(["--kube-version".into(), kv.clone()]);
        }
        if self.include_crds {
            args.push("--include-crds".into());
        }
        args
    }

    /// The values of `--set` and `--set-string`, to keep out of helm's errors (see
    /// [`crate::parse::values::set_values`]).
    pub fn set_values(&self) -> Vec<String> {
        self.set
            .iter()
            .chain(&self.set_string)
            .flat_map(|arg| crate::parse::values::set_values(arg))
            .collect()
    }
}

/// Go collector pace for helm (why: `helm_env`). Measured on gloo 1.17.38 (20 interleaved runs,
/// 2 cores): one render 121 -> 106 ms, two at once 156 -> 124 ms, helm's peak RSS 52 -> 54 MB.
pub const HELM_GOGC: &str = "400";

/// The language (`LC_ALL`) the helm binary is started in. helm links kubectl, whose packages
/// load at every helm start the message catalogue of the language LC_ALL (else LC_MESSAGES, else
/// LANG) names, for kubectl's help texts, which helm never prints. The English one (also the
/// default) takes 13 to 22 ms of CPU, a third of a render of gloo 1.17; the French one, almost
/// empty, about 1 ms (`GODEBUG=inittrace=1`, helm 3.17.3 and 4.1.4). helm has no catalogue of its
/// own and Go ignores the C locale, so helm prints the same bytes in any language
/// (tests/render_locale.rs). Not for a wrapper script: its shell would warn about a locale the
/// machine lacks ([`compiled_helm`]).
pub const HELM_LANGUAGE: &str = "fr_FR.UTF-8";

/// The real path of `helm` when it is the helm binary itself: a compiled executable (ELF or
/// Mach-O) whose file is named `helm`. None for anything else: a shell wrapper, a version
/// manager's shim (asdf's script, mise's own binary), a test stand-in.
pub fn compiled_helm(helm: &Path) -> Option<PathBuf> {
    use std::io::Read;
    let real = std::fs::canonicalize(helm).ok()?;
    if real.file_name()? != "helm" {
        return None;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(&real).ok()?.read_exact(&mut magic).ok()?;
    let compiled = magic == *b"\x7fELF"
        || matches!(u32::from_le_bytes(magic), 0xfeed_face | 0xfeed_facf | 0xcafe_babe)
        || matches!(u32::from_be_bytes(magic), 0xfeed_face | 0xfeed_facf | 0xcafe_babe);
    compiled.then_some(real)
}

/// The environment helm runs with, on top of the user's: `plugins` as `$HELM_PLUGINS` (an empty
/// directory: no plugin, downloader, getter or post-renderer can run; `helm template` of a local
/// chart needs none), and what makes its start cheaper without changing what it prints.
fn helm_env<'a>(helm: &Path, plugins: &'a Path) -> Vec<(&'static str, &'a std::ffi::OsStr)> {
    let mut env = vec![("HELM_PLUGINS", plugins.as_os_str())];
    // helm is Go, and Go's default collector pace (GOGC=100) suits long-running servers: a
    // short `helm template` spends about a fifth of its CPU collecting garbage, and two renders
    // at once (base and hardened) fight over the cores for it. A slower pace trades a few MB of
    // helm's heap for that CPU. A GOGC or GOMEMLIMIT the user set is left alone.
    if std::env::var_os("GOGC").is_none() && std::env::var_os("GOMEMLIMIT").is_none() {
        env.push(("GOGC", std::ffi::OsStr::new(HELM_GOGC)));
    }
    // A cheaper start, the same output (see HELM_LANGUAGE).
    if compiled_helm(helm).is_some() {
        env.push(("LC_ALL", std::ffi::OsStr::new(HELM_LANGUAGE)));
    }
    env
}

/// Runs `helm template` and returns the rendered stream.
pub fn render(helm: &Path, request: &RenderRequest) -> Result<String> {
    let max = if request.max_bytes == 0 { DEFAULT_MAX_RENDER_BYTES } else { request.max_bytes };
    // helm finds plugins (downloaders, post-renderers, getters) in $HELM_PLUGINS: an empty
    // directory means none can run, whatever is installed. `helm template` of a local chart
    // needs none.
    let no_plugins = tempfile::Builder::new()
        .prefix("helm-harden-no-plugins-")
        .tempdir()
        .map_err(|e| Error::new(format!("cannot create a temporary directory: {e}")))?;
    let _removed_on_signal = crate::render::interrupt::track_dir(no_plugins.path().to_path_buf());
    let env = helm_env(helm, no_plugins.path());
    if request.dependency_update {
        // A step of its own: `helm template --dependency-update` prints its progress ("Saving 1
        // charts") on stdout, in front of the render.
        let args =
            ["dependency".to_string(), "update".to_string(), request.chart.display().to_string()];
        let output = run_bounded(helm, &args, &env, request.timeout, 1 << 20)?;
        if !output.success {
            let stderr = trim_stderr(&redact(&output.stderr, &request.set_values()));
            return Err(Error::new(format!(
                "{}: helm dependency update failed: {stderr}",
                request.chart.display()
            )));
        }
    }
    let output = run_bounded(helm, &request.args(), &env, request.timeout, max)?;
    if output.truncated {
        return Err(Error::new(format!(
            "{}: the render exceeds the {} MiB limit (raise it with --max-render-mb)",
            request.chart.display(),
            max / (1024 * 1024)
        )));
    }
    if !output.success {
        // helm quotes values in its errors (`range can't iterate over <value>`), and a --set
        // value is often a secret passed from CI.
        let stderr = trim_stderr(&redact(&output.stderr, &request.set_values()));
        return Err(Error::helm_failed(format!(
            "{}: helm template failed: {stderr}",
            request.chart.display()
        )));
    }
    String::from_utf8(output.stdout).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::new(format!(
            "{}: helm printed bytes that are not UTF-8 (line {line} of the render)",
            request.chart.display()
        ))
    })
}

/// `helm version --short`, e.g. `v3.17.3+ge4da497`.
pub fn helm_version(helm: &Path) -> Result<String> {
    helm_version_within(helm, Duration::from_secs(30))
}

/// `helm version --short`, killed after `timeout`.
pub fn helm_version_within(helm: &Path, timeout: Duration) -> Result<String> {
    // No plugin either, as for the render (see [`render`]).
    let no_plugins = tempfile::Builder::new()
        .prefix("helm-harden-no-plugins-")
        .tempdir()
        .map_err(|e| Error::new(format!("cannot create a temporary directory: {e}")))?;
    let _removed_on_signal = crate::render::interrupt::track_dir(no_plugins.path().to_path_buf());
    let env = helm_env(helm, no_plugins.path());
    let out =
        run_bounded(helm, &["version".into(), "--short".into()], &env, Some(timeout), 1 << 20)?;
    if !out.success {
        return Err(Error::new(format!(
            "{}: `helm version` failed: {}",
            helm.display(),
            trim_stderr(&String::from_utf8_lossy(&out.stderr))
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Longest helm error shown, in characters.
const MAX_STDERR_CHARS: usize = 600;

/// helm's stderr on one line, lines joined with ` | `. helm prints its warnings (`walk.go:74:
/// found symbolic link`) before its error, whose first line (`Error: execution error at
/// (gloo/templates/x.yaml:1:3): ...`) names the template and line at fault: when the text is too
/// long, the warnings go first, then lines from the end; the `Error:` line always stays.
fn trim_stderr(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut joined = lines.join(" | ");
    if joined.chars().count() > MAX_STDERR_CHARS {
        let error_line = lines.iter().position(|l| l.starts_with("Error:")).unwrap_or(0);
        joined = lines[error_line..].join(" | ");
    }
    match joined.char_indices().nth(MAX_STDERR_CHARS) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None if joined.is_empty() => "no error message".into(),
        None => joined,
    }
}

/// helm's stderr with every `secrets` occurrence replaced by `***`, longest first (so that a
/// value containing another is not left half shown).
fn redact(stderr: &[u8], secrets: &[String]) -> String {
    let mut text = String::from_utf8_lossy(stderr).into_owned();
    let mut secrets: Vec<&String> = secrets.iter().collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        text = text.replace(secret.as_str(), "***");
    }
    text
}

struct Output {
    success: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    truncated: bool,
}

/// Runs a command in its own process group with a deadline; stdout is capped at `max` bytes.
fn run_bounded(
    program: &Path,
    args: &[String],
    env: &[(&str, &std::ffi::OsStr)],
    timeout: Option<Duration>,
    max: usize,
) -> Result<Output> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| Error::new(format!("{}: cannot run helm: {e}", program.display())))?;
    let pid = child.id() as i32;
    let tracked = crate::render::interrupt::track_group(pid);
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut truncated = false;
        // On the reader thread's own stack (2 MiB): a 64 KiB read keeps the pipe drained.
        #[allow(clippy::large_stack_arrays)]
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match stdout.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) if buf.len() + n > max => {
                    truncated = true;
                    // Stop helm rather than buffer what we will refuse anyway.
                    crate::render::interrupt::kill_group(pid);
                    break;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        (buf, truncated)
    });
    let err_reader = std::thread::spawn(move || {
        // Read to the end (a full pipe would block helm) but keep only the tail: the error
        // helm prints last is the one that matters.
        const KEEP: usize = 64 * 1024;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match stderr.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.len() > 2 * KEEP {
                        buf.drain(..buf.len() - KEEP);
                    }
                }
            }
        }
        buf
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // When helm exits, anything it left behind in its process group goes too: a leftover
        // holding helm's stdout open would otherwise keep the readers waiting forever. WNOWAIT
        // leaves helm a zombie until the kill, so its group ID cannot be reused in between.
        if exited_unreaped(pid) {
            crate::render::interrupt::kill_group(pid);
        }
        // No longer killed on a signal once reaped: its group ID may then be reused.
        drop(tracked);
        let _ = tx.send(child.wait());
    });
    let status = match timeout {
        Some(t) => {
            if let Ok(status) = rx.recv_timeout(t) {
                status
            } else {
                crate::render::interrupt::kill_group(pid);
                let _ = rx.recv();
                return Err(Error::new(format!(
                    "helm did not finish within {}s and was killed (raise --timeout)",
                    t.as_secs_f64()
                )));
            }
        }
        None => rx.recv().map_err(|_| Error::new("helm: lost track of the process"))?,
    }
    .map_err(|e| Error::new(format!("helm: {e}")))?;
    let (stdout, truncated) = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Output { success: status.success() && !truncated, stdout, stderr, truncated })
}

/// Waits until helm (`pid`, our child) has exited, leaving it unreaped (`WNOWAIT`): a zombie
/// keeps its process group ID from being reused until `Child::wait` reaps it.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn exited_unreaped(pid: i32) -> bool {
    use nix::sys::wait::{waitid, Id, WaitPidFlag};
    waitid(Id::Pid(nix::unistd::Pid::from_raw(pid)), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        .is_ok()
}

/// Waits until helm (`pid`, our child) has exited, leaving it unreaped (`WNOWAIT`): nix has no
/// `waitid` on these systems, so libc's is called.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn exited_unreaped(pid: i32) -> bool {
    // SAFETY: waitid(2) on our own child with a zeroed out-parameter.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(libc::P_PID, pid as libc::id_t, &raw mut info, libc::WEXITED | libc::WNOWAIT)
            == 0
    }
}
