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

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

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
fn signal_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset on a local set they initialise; sigaction with a null new
    // action only reads the current one.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        for s in SIGNALS {
            let mut current: libc::sigaction = std::mem::zeroed();
            let ignored = libc::sigaction(s, std::ptr::null(), &raw mut current) == 0
                && current.sa_sigaction == libc::SIG_IGN;
            if !ignored {
                libc::sigaddset(&raw mut set, s);
            }
        }
        set
    }
}

/// Takes over SIGINT, SIGTERM and SIGHUP. Call first in `main`, before any thread starts: a
/// thread inherits the signal mask of the one that creates it.
pub fn install() {
    let set = signal_set();
    // SAFETY: pthread_sigmask on the calling thread with a valid set.
    if unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &raw const set, std::ptr::null_mut()) } != 0
    {
        return;
    }
    std::thread::spawn(move || {
        let mut signal: libc::c_int = 0;
        // SAFETY: sigwait on signals blocked in every thread.
        if unsafe { libc::sigwait(&raw const set, &raw mut signal) } != 0 {
            return;
        }
        // Held until the end: a helm thread that saw its helm die waits on it to untrack the
        // group, so the run cannot go on to report the killed helm as a failure (exit 2).
        let running = running();
        for group in &running.groups {
            // SAFETY: kill(2) on a process group this process started and has not reaped.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        for dir in &running.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        // SAFETY: the default action back, the signal unblocked in this thread, and raised
        // again: the process ends as the signal's default action ends it.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            let mut one: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&raw mut one);
            libc::sigaddset(&raw mut one, signal);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &raw const one, std::ptr::null_mut());
            libc::raise(signal);
        }
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
