//! Ctrl-C, a cancelled CI job, `timeout` or a closed terminal (SIGINT, SIGTERM, SIGHUP) while
//! helm runs. helm runs in a process group of its own (render.rs) so that a timeout kills it
//! with whatever it started; that also keeps the terminal's Ctrl-C, sent to the foreground
//! group, from reaching it. So the signal is handled here: every helm group still running is
//! killed and every temporary directory still in use is removed, then the signal is raised again
//! with its default action, so the caller sees the process end by it (exit status 128 + n).
//!
//! The signals are blocked in every thread and taken by one thread with sigwait(2): the work
//! above runs as ordinary code, not in a signal handler. Children start with an empty signal
//! mask (std resets it before exec), so helm sees signals as usual.

use nix::sys::signal::{killpg, raise, SigSet, Signal};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

const SIGNALS: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

#[derive(Default)]
struct Running {
    groups: BTreeSet<i32>,
    dirs: BTreeSet<PathBuf>,
}

static RUNNING: Mutex<Running> =
    Mutex::new(Running { groups: BTreeSet::new(), dirs: BTreeSet::new() });

fn running() -> std::sync::MutexGuard<'static, Running> {
    RUNNING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The signals to take over: those the caller did not set to be ignored (`nohup` ignores
/// SIGHUP, a shell's background job SIGINT). Linux keeps a blocked signal pending even when its
/// action is to ignore it, so blocking one of those would let it end the run after all.
fn signal_set() -> SigSet {
    let mut set = SigSet::empty();
    for signal in SIGNALS.into_iter().filter(|s| !ignored(*s)) {
        set.add(signal);
    }
    set
}

/// Whether the caller set `signal` to be ignored.
fn ignored(signal: Signal) -> bool {
    // nix has no call that only reads a signal's action (its `sigaction` always sets one), so
    // this one read stays on libc.
    // SAFETY: sigaction(2) with a null new action only reads the current one into a local.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal as libc::c_int, std::ptr::null(), &raw mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

/// Kills a helm process group (helm and whatever it started). A group that is already gone is
/// not an error: there is nothing left to stop.
pub fn kill_group(pgid: i32) {
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Takes over SIGINT, SIGTERM and SIGHUP. Call first in `main`, before any thread starts: a
/// thread inherits the signal mask of the one that creates it.
pub fn install() {
    let set = signal_set();
    if set.thread_block().is_err() {
        return;
    }
    std::thread::spawn(move || {
        let Ok(signal) = set.wait() else { return };
        // Held until the end: a helm thread that saw its helm die waits on it to untrack the
        // group, so the run cannot go on to report the killed helm as a failure (exit 2).
        let running = running();
        for group in &running.groups {
            kill_group(*group);
        }
        for dir in &running.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        // The signal's action is still the default one (it was only blocked, never handled,
        // and an exec resets handlers): unblocked in this thread and raised again, it ends the
        // process as it would have without us.
        let mut one = SigSet::empty();
        one.add(signal);
        let _ = one.thread_unblock();
        let _ = raise(signal);
    });
}

/// A helm process group killed on a signal while this lives.
pub struct TrackedGroup(i32);

pub fn track_group(pgid: i32) -> TrackedGroup {
    running().groups.insert(pgid);
    TrackedGroup(pgid)
}

impl Drop for TrackedGroup {
    fn drop(&mut self) {
        running().groups.remove(&self.0);
    }
}

/// A temporary directory removed on a signal while this lives (its owner removes it otherwise).
pub struct TrackedDir(PathBuf);

pub fn track_dir(path: PathBuf) -> TrackedDir {
    running().dirs.insert(path.clone());
    TrackedDir(path)
}

impl Drop for TrackedDir {
    fn drop(&mut self) {
        running().dirs.remove(&self.0);
    }
}
