//! Render cache: the output of `helm template`, stored under a key that covers every input of
//! the render, so that an unchanged chart and values skip helm (the slow part of a check).
//!
//! The key is a SHA-256 (collisions must not hand back another chart's render) over:
//! which helm renders (the helm binary itself by its file, see `binary_identity`; a wrapper or a
//! shim by `helm version --short`), every file under the chart directory (its
//! `charts/` dependencies included) or the packaged `.tgz`, the content of each values file
//! in order, `--set`/`--set-string`, namespace, release and kube-version. Without an explicit
//! namespace helm takes it from `$HELM_NAMESPACE` or the kube context, so those (and the
//! kubeconfig's content) join the key. Anything unreadable makes the render uncacheable.
//! A chart's digest is worked out once per run while its files keep their stamps (size,
//! inode, mtime, ctime). On a cache that held nothing when the run began there is nothing to
//! look up: helm starts at once and the key is worked out beside it, the render stored only if
//! no input's stamp moved meanwhile.
//!
//! Entries are written to a temporary file and renamed into place, so a concurrent reader
//! sees a whole entry or none; each entry carries its key and length, checked on read. The
//! cache is bounded: after a write, the least recently used entries (by mtime, refreshed on
//! every hit) go until the total is under the cap. The cache never fails a run: any I/O
//! problem is a miss.

use crate::error::Result;
use crate::render::{self, RenderRequest};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Default size cap of the cache directory.
pub const DEFAULT_MAX_MB: u64 = 100;
const FORMAT: &str = "helm-harden-cache v1";

/// Where the cache lives and how big it may grow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSettings {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

impl CacheSettings {
    /// `--cache-dir`, else `$XDG_CACHE_HOME/helm-harden`, else `~/.cache/helm-harden`; None
    /// with `--no-cache` or when there is no home to put it in.
    pub fn resolve(explicit: Option<&Path>, disabled: bool, max_mb: u64) -> Option<CacheSettings> {
        if disabled || max_mb == 0 {
            return None;
        }
        let dir = explicit.map(Path::to_path_buf).or_else(default_dir)?;
        Some(CacheSettings { dir, max_bytes: max_mb.saturating_mul(1024 * 1024) })
    }

    fn renders(&self) -> PathBuf {
        self.dir.join("renders")
    }
}

/// `$XDG_CACHE_HOME/helm-harden` (absolute values only, as the XDG spec says), else
/// `$HOME/.cache/helm-harden`.
pub fn default_dir() -> Option<PathBuf> {
    let absolute = |var: &str| std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute());
    absolute("XDG_CACHE_HOME")
        .map(|d| d.join("helm-harden"))
        .or_else(|| absolute("HOME").map(|h| h.join(".cache/helm-harden")))
}

/// Renders through the cache: a hit returns the stored stream without running helm; a miss
/// renders and stores. Failed renders are never stored.
pub fn render(
    settings: Option<&CacheSettings>,
    helm: &Path,
    request: &RenderRequest,
) -> Result<String> {
    // `--dependency-update` changes the chart while rendering: never served from, or stored
    // in, the cache.
    let Some(settings) = settings.filter(|_| !request.dependency_update) else {
        return render::render(helm, request);
    };
    // A helm binary is known by its file: its key is that file's identity, and helm never has
    // to be started to say its version.
    if let Some(identity) = binary_identity(helm) {
        if empty_when_first_seen(settings) {
            if let Some(before) = input_stamps(request).filter(InputStamps::settled) {
                return render_keyed_beside(settings, helm, request, &identity, before);
            }
        }
        let Some(key) = render_key(&identity, request) else {
            return render::render(helm, request);
        };
        if let Some(stream) = get(settings, &key) {
            return Ok(stream);
        }
        let stream = render::render(helm, request)?;
        put(settings, &key, &stream);
        return Ok(stream);
    }
    let probe = request.timeout.unwrap_or(Duration::from_secs(10)).min(Duration::from_secs(10));
    // The binary's location is part of its identity: two helms that print the same version
    // (a wrapper script, a test stand-in) may still render differently.
    let identity = |version: String| {
        format!(
            "{version}\n{}",
            fs::canonicalize(helm).unwrap_or_else(|_| helm.to_path_buf()).display()
        )
    };
    let Some(version) = remembered_version(settings, helm) else {
        // A cold cache for a wrapper or a shim: there is nothing to look up, so helm renders
        // at once; its version, needed only to store the render, is asked afterwards on a
        // thread of its own while the run goes on ([`finish`] waits for it). Not before the
        // render is known to succeed: a failed run must leave no helm behind.
        let inputs = inputs_digest(request);
        let stream = render::render(helm, request)?;
        let Some(inputs) = inputs else { return Ok(stream) };
        if stream.len() as u64 >= settings.max_bytes {
            return Ok(stream); // too large to keep (see [`put`]): nothing to store
        }
        let (settings, helm, copy) = (settings.clone(), helm.to_path_buf(), stream.clone());
        let store = std::thread::Builder::new().name("cache-store".into()).spawn(move || {
            let Some(version) = helm_version(&settings, &helm, probe) else { return };
            let identity = format!(
                "{version}\n{}",
                fs::canonicalize(&helm).unwrap_or_else(|_| helm.clone()).display()
            );
            put(&settings, &key_of(&identity, &inputs), &copy);
        });
        if let Ok(store) = store {
            PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(store);
        }
        return Ok(stream);
    };
    let Some(key) = render_key(&identity(version), request) else {
        return render::render(helm, request);
    };
    if let Some(stream) = get(settings, &key) {
        return Ok(stream);
    }
    let stream = render::render(helm, request)?;
    put(settings, &key, &stream);
    Ok(stream)
}

/// Whether the cache held no render when this run first used it (a fresh CI runner's): then
/// there is nothing to look up, and a render need not wait for its key. Decided once per
/// directory and run, so that a run's renders do not race each other's stores.
fn empty_when_first_seen(settings: &CacheSettings) -> bool {
    static SEEN: std::sync::Mutex<Vec<(PathBuf, bool)>> = std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, empty)) = seen.iter().find(|(dir, _)| *dir == settings.dir) {
        return *empty;
    }
    let empty = fs::read_dir(settings.renders()).map_or(true, |entries| {
        !entries.flatten().any(|e| !e.file_name().to_string_lossy().starts_with(".tmp"))
    });
    seen.push((settings.dir.clone(), empty));
    empty
}

/// A render on a cold cache: helm starts at once and the key is worked out beside it (hashing
/// the chart is a few milliseconds of a cold run's critical path). The key must describe the
/// inputs helm read, so the render is stored only when no input changed while helm ran: their
/// stamps (see [`Stamp`]), `before` taken as helm started and [`settled`], are the same after.
fn render_keyed_beside(
    settings: &CacheSettings,
    helm: &Path,
    request: &RenderRequest,
    identity: &str,
    before: InputStamps,
) -> Result<String> {
    let copy = request.clone();
    // The chart's stamps just taken serve the digest's own check: the chart is walked once.
    let chart = before.chart.clone();
    let inputs = std::thread::Builder::new()
        .name("cache-key".into())
        .spawn(move || inputs_digest_with(&copy, Some(chart)));
    let stream = render::render(helm, request)?;
    if let Some(inputs) = inputs.ok().and_then(|key| key.join().ok()).flatten() {
        put_if_unmoved(settings, request, &before, &[(key_of(identity, &inputs), &stream)]);
    }
    Ok(stream)
}

/// Stores each `(key, stream)` when the stamps of `request`'s inputs are still `before`,
/// taken before helm started: the keys, worked out while or after helm ran, then describe the
/// files helm read.
fn put_if_unmoved(
    settings: &CacheSettings,
    request: &RenderRequest,
    before: &InputStamps,
    entries: &[(String, &str)],
) {
    if input_stamps(request).is_some_and(|after| after == *before) {
        for (key, stream) in entries {
            put(settings, key, stream);
        }
    }
}

/// [`render()`] for two renders that can share one helm process ([`crate::render::pair`]): the
/// head's and the hardened one, which is `head` with values files of this run's own added (the
/// overlay, written once and never changed). When neither is stored they come from one helm
/// process, each stored under the key it has alone. None when they cannot share one, when one
/// is already stored, or when the pair's render fails: the caller then renders each through
/// [`render()`], which serves what is stored and gives helm's own errors.
pub fn render_pair(
    settings: Option<&CacheSettings>,
    helm: &Path,
    head: &RenderRequest,
    hardened: &RenderRequest,
    plan: impl FnOnce() -> Option<crate::render::pair::PairPlan>,
) -> Option<(String, String)> {
    let run = |plan: crate::render::pair::PairPlan| {
        render::render(helm, &plan.request).ok().and_then(|stream| plan.split(&stream))
    };
    let Some(settings) = settings.filter(|_| !head.dependency_update) else {
        return run(plan()?);
    };
    // A wrapper or a shim is asked its version to key a render: left to [`render`].
    let identity = binary_identity(helm)?;
    if empty_when_first_seen(settings) {
        if let Some(before) = input_stamps(head).filter(InputStamps::settled) {
            let (head_stream, hardened_stream) = run(plan()?)?;
            // The keys are worked out after the render, while the run checks and reports (when
            // the pair renders, it is the run's longest task: nothing else should slow it),
            // and stored before the process exits ([`finish`]). Unchanged stamps from before
            // the render to after the hashing mean the files hashed are the files rendered.
            // The hardened render's own files are this run's, read now (they go with the run's
            // end): the head's stamps cover the rest.
            let own_files = &hardened.values[head.values.len().min(hardened.values.len())..];
            let own: Option<Vec<(PathBuf, Vec<u8>)>> =
                own_files.iter().map(|p| Some((p.clone(), fs::read(p).ok()?))).collect();
            let (settings, copies) = (settings.clone(), (head.clone(), hardened.clone()));
            let streams = (head_stream.clone(), hardened_stream.clone());
            let store = std::thread::Builder::new().name("cache-store".into()).spawn(move || {
                let Some(own) = own else { return };
                let chart = before.chart.clone();
                let Some(head_inputs) = inputs_digest_with(&copies.0, Some(chart.clone())) else {
                    return;
                };
                let Some(hardened_inputs) = inputs_digest_read(&copies.1, Some(chart), &own) else {
                    return;
                };
                put_if_unmoved(
                    &settings,
                    &copies.0,
                    &before,
                    &[
                        (key_of(&identity, &head_inputs), &streams.0),
                        (key_of(&identity, &hardened_inputs), &streams.1),
                    ],
                );
            });
            if let Ok(store) = store {
                PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(store);
            }
            return Some((head_stream, hardened_stream));
        }
    }
    let head_key = render_key(&identity, head)?;
    let hardened_key = render_key(&identity, hardened)?;
    if stored(settings, &head_key) || stored(settings, &hardened_key) {
        return None;
    }
    let (head_stream, hardened_stream) = run(plan()?)?;
    put(settings, &head_key, &head_stream);
    put(settings, &hardened_key, &hardened_stream);
    Some((head_stream, hardened_stream))
}

/// Whether an entry is stored under `key` (read by [`get`] when used).
fn stored(settings: &CacheSettings, key: &str) -> bool {
    entry_path(settings, key).is_file()
}

/// The file of the entry stored under `key`.
fn entry_path(settings: &CacheSettings, key: &str) -> PathBuf {
    settings.renders().join(key)
}

/// Renders of a cold cache still being stored.
static PENDING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits until every render of this run is stored: called once the run's output is written,
/// before the process exits.
pub fn finish() {
    let pending =
        std::mem::take(&mut *PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    for store in pending {
        let _ = store.join();
    }
}

/// The identity of `helm` when it is the helm binary itself: a compiled executable (ELF or
/// Mach-O) whose file is named `helm`, by path, size, mtime and inode. Whatever renders
/// differently is a different file: an upgrade replaces it. None for anything else (a shell
/// wrapper, a version manager's shim such as asdf's script or mise's binary, a test stand-in),
/// whose file stays the same when the helm behind it changes: that one is asked its version.
fn binary_identity(helm: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let real = render::compiled_helm(helm)?;
    let meta = fs::metadata(&real).ok()?;
    Some(format!(
        "binary\n{}\n{} {}.{} {}",
        real.display(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino()
    ))
}

/// The file that remembers the version of the helm binary at `helm` (by path, size, mtime and
/// inode: a replaced binary gets a new one).
fn version_file(settings: &CacheSettings, helm: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let real = fs::canonicalize(helm).ok()?;
    let meta = fs::metadata(&real).ok()?;
    let id = hex(&digest(&[
        real.as_os_str().as_encoded_bytes(),
        &meta.size().to_le_bytes(),
        &meta.mtime().to_le_bytes(),
        &meta.mtime_nsec().to_le_bytes(),
        &meta.ino().to_le_bytes(),
    ]));
    Some(settings.dir.join("helm").join(id))
}

/// helm's version as remembered by an earlier run, without starting helm.
fn remembered_version(settings: &CacheSettings, helm: &Path) -> Option<String> {
    let version = fs::read_to_string(version_file(settings, helm)?).ok()?;
    Some(version.trim().to_string()).filter(|v| !v.is_empty())
}

/// helm's version, remembered per binary (path, size, mtime, inode) so that a warm run does
/// not start helm at all. A replaced binary gets a new entry.
/// The renders of one run that need it ask once: the others wait for that answer.
pub fn helm_version(settings: &CacheSettings, helm: &Path, timeout: Duration) -> Option<String> {
    static ASKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = ASKING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(version) = remembered_version(settings, helm) {
        return Some(version);
    }
    let file = version_file(settings, helm)?;
    // A helm that cannot say its version (a test double, a broken install) is not cached.
    let version = render::helm_version_within(helm, timeout).ok().filter(|v| !v.is_empty())?;
    write_atomic(&file, version.as_bytes());
    Some(version)
}

/// The key of a render, or None when an input cannot be read (helm will report it).
pub fn render_key(helm_version: &str, request: &RenderRequest) -> Option<String> {
    Some(key_of(helm_version, &inputs_digest(request)?))
}

/// The key of a render from helm's version and [`inputs_digest`].
fn key_of(helm_version: &str, inputs: &str) -> String {
    let mut h = Fields(Sha256::new());
    h.field(FORMAT.as_bytes());
    h.field(helm_version.as_bytes());
    h.field(inputs.as_bytes());
    hex(&h.0.finalize())
}

/// The digest of every input of a render but helm's version, read as it is now (before the
/// render: a file edited while helm renders must not key the render it did not make).
fn inputs_digest(request: &RenderRequest) -> Option<String> {
    inputs_digest_with(request, None)
}

/// [`inputs_digest`], with the chart's stamps when they were just taken.
fn inputs_digest_with(request: &RenderRequest, chart_stamps: Option<Vec<Stamp>>) -> Option<String> {
    inputs_digest_read(request, chart_stamps, &[])
}

/// [`inputs_digest_with`], with the content of some values files already read (`read`: path
/// and content), for files gone by the time the key is worked out.
fn inputs_digest_read(
    request: &RenderRequest,
    chart_stamps: Option<Vec<Stamp>>,
    read: &[(PathBuf, Vec<u8>)],
) -> Option<String> {
    let mut h = Fields(Sha256::new());
    let chart = &request.chart;
    h.field(b"chart");
    h.field(&chart_digest(chart, chart_stamps)?);
    h.field(b"values");
    for v in &request.values {
        match read.iter().find(|(path, _)| path == v) {
            Some((_, content)) => h.field(content),
            None => h.field(&fs::read(v).ok()?),
        }
    }
    h.list("set", &request.set);
    h.list("set-string", &request.set_string);
    h.opt("release", request.release.as_deref());
    h.opt("namespace", request.namespace.as_deref());
    h.opt("kube-version", request.kube_version.as_deref());
    h.opt("include-crds", request.include_crds.then_some("yes"));
    if request.namespace.is_none() {
        // helm's namespace then comes from the environment or the current kube context.
        for var in ["HELM_NAMESPACE", "HELM_KUBECONTEXT", "KUBECONFIG"] {
            h.opt(var, std::env::var(var).ok().as_deref());
        }
        for config in kubeconfig_files() {
            h.field(config.as_os_str().as_encoded_bytes());
            h.field(&fs::read(&config).unwrap_or_default());
        }
    }
    Some(hex(&h.0.finalize()))
}

/// The stored render for `key`, if whole; a hit refreshes the entry's mtime (LRU order).
pub fn get(settings: &CacheSettings, key: &str) -> Option<String> {
    let path = entry_path(settings, key);
    let text = fs::read_to_string(&path).ok()?;
    let (header, body) = text.split_once('\n')?;
    let expected = format!("{FORMAT} {key} {}", body.len());
    if header != expected {
        return None;
    }
    if let Ok(file) = fs::File::options().append(true).open(&path) {
        let _ = file.set_modified(SystemTime::now());
    }
    Some(body.to_string())
}

/// Stores a render and trims the cache to its cap. Errors are ignored: the cache is an
/// optimisation, never a reason to fail.
pub fn put(settings: &CacheSettings, key: &str, stream: &str) {
    let entry = format!("{FORMAT} {key} {}\n{stream}", stream.len());
    if entry.len() as u64 > settings.max_bytes {
        return;
    }
    write_atomic(&entry_path(settings, key), entry.as_bytes());
    prune(&settings.renders(), settings.max_bytes);
}

/// Removes least recently used entries until the directory holds at most `max` bytes.
/// Leftover temporary files of crashed writers go after an hour.
pub fn prune(dir: &Path, max: u64) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    let mut entries = Vec::new();
    for e in read.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        let mtime = meta.modified().unwrap_or(now);
        if e.file_name().to_string_lossy().starts_with(".tmp") {
            if now.duration_since(mtime).unwrap_or_default() > Duration::from_secs(3600) {
                let _ = fs::remove_file(e.path());
            }
            continue;
        }
        entries.push((mtime, meta.len(), e.path()));
    }
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    if total <= max {
        return;
    }
    entries.sort();
    for (_, len, path) in entries {
        if total <= max {
            break;
        }
        // Another run may have removed it already; either way it no longer counts.
        let _ = fs::remove_file(&path);
        total = total.saturating_sub(len);
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) {
    let Some(dir) = path.parent() else { return };
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::Builder::new().prefix(".tmp").tempfile_in(dir) else { return };
    if tmp.write_all(bytes).and_then(|()| tmp.flush()).is_ok() {
        let _ = tmp.persist(path);
    }
}

/// The digest of a chart directory (every file, by relative path and content) or packaged
/// chart. Worked out once per run for a chart whose files keep their stamps: a target's base
/// and hardened renders, and every target of one chart, read the same files.
/// `stamps`: the chart's, when the caller just took them.
fn chart_digest(chart: &Path, stamps: Option<Vec<Stamp>>) -> Option<Vec<u8>> {
    type Known = Vec<(PathBuf, Vec<Stamp>, Vec<u8>)>;
    static KNOWN: std::sync::Mutex<Known> = std::sync::Mutex::new(Vec::new());
    // Held while hashing: a render that starts beside another of the same chart waits for its
    // digest rather than reading the chart a second time.
    let mut known = KNOWN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let stamps = match stamps {
        Some(stamps) => stamps,
        None => chart_stamps(chart)?,
    };
    if let Some((_, _, digest)) = known.iter().find(|(c, s, _)| c == chart && *s == stamps) {
        return Some(digest.clone());
    }
    let mut h = Fields(Sha256::new());
    if fs::metadata(chart).ok()?.is_dir() {
        h.field(b"chart-dir");
        walk_tree(chart, Path::new(""), 0, &mut |rel, path, meta| {
            h.field(if meta.is_dir() { b"dir" } else { b"file" });
            h.field(rel.as_os_str().as_encoded_bytes());
            if !meta.is_dir() {
                h.field(&fs::read(path).ok()?);
            }
            Some(())
        })?;
    } else {
        h.field(b"chart-archive");
        h.field(&fs::read(chart).ok()?);
    }
    let digest = h.0.finalize().to_vec();
    // Remembered only when nothing changed while it was read.
    if settled(&stamps) && chart_stamps(chart).is_some_and(|after| after == stamps) {
        known.retain(|(c, _, _)| c != chart);
        known.push((chart.to_path_buf(), stamps, digest.clone()));
    }
    Some(digest)
}

/// What tells that a file changed without reading it: its size, inode, mtime and ctime (which
/// every write moves and no tool sets back), as git's index does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    path: PathBuf,
    size: u64,
    inode: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(path: &Path, meta: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            path: path.to_path_buf(),
            size: meta.size(),
            inode: meta.ino(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// How long before now a file's last change must be for its stamp to tell every later change.
/// File times come from a coarse clock (a kernel tick, up to 10 ms): a file written twice in
/// one tick keeps its times, so a stamp taken in the tick of a write cannot tell a second one
/// (git's "racy clean" entries).
const SETTLE: Duration = Duration::from_millis(50);

/// Files and directories this run wrote and then never changes ([`written_once`]).
static WRITTEN_ONCE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Tells the cache that this run wrote `path` (a file, or every file under a directory) and
/// will not change it again (`--base`'s files from git, an overlay): its stamps tell every
/// later change however recent its last one (see `settled`), so its renders start at once on a
/// cold cache, their key worked out beside helm, and not after hashing the chart.
pub fn written_once(path: &Path) {
    WRITTEN_ONCE.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(path.to_path_buf());
}

/// Whether every stamp was last changed at least [`SETTLE`] ago, or is of a file this run
/// wrote once ([`written_once`]).
fn settled(stamps: &[Stamp]) -> bool {
    let written_once = WRITTEN_ONCE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let stamps = stamps.iter().filter(|s| !written_once.iter().any(|dir| s.path.starts_with(dir)));
    let Ok(now) = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) else { return false };
    let recent = |(secs, nanos): (i64, i64)| {
        let (Ok(secs), Ok(nanos)) = (u64::try_from(secs), u32::try_from(nanos)) else {
            return true;
        };
        Duration::new(secs, nanos) + SETTLE > now
    };
    !stamps.into_iter().any(|s| recent(s.mtime) || recent(s.ctime))
}

/// The stamps of a chart's files (directory or archive); None when one cannot be read.
fn chart_stamps(chart: &Path) -> Option<Vec<Stamp>> {
    let meta = fs::metadata(chart).ok()?;
    let mut stamps = vec![Stamp::of(chart, &meta)];
    if meta.is_dir() {
        walk_tree(chart, Path::new(""), 0, &mut |_, path, meta| {
            stamps.push(Stamp::of(path, meta));
            Some(())
        })?;
    }
    Some(stamps)
}

/// The stamps of every file a render reads (see [`inputs_digest`]): the chart's, and the values
/// files' and kubeconfigs'.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InputStamps {
    chart: Vec<Stamp>,
    files: Vec<Stamp>,
}

impl InputStamps {
    fn settled(&self) -> bool {
        settled(&self.chart) && settled(&self.files)
    }
}

fn input_stamps(request: &RenderRequest) -> Option<InputStamps> {
    let chart = chart_stamps(&request.chart)?;
    let mut files = Vec::new();
    let kubeconfigs = if request.namespace.is_none() { kubeconfig_files() } else { Vec::new() };
    for path in request.values.iter().chain(&kubeconfigs) {
        match fs::metadata(path) {
            Ok(meta) => files.push(Stamp::of(path, &meta)),
            // A kubeconfig may be absent (its absence is part of the key), a values file not.
            Err(_) if kubeconfigs.contains(path) => {}
            Err(_) => return None,
        }
    }
    Some(InputStamps { chart, files })
}

/// Visits every entry under `dir` in a fixed order (sorted names, depth first), with its
/// path relative to the chart. Symbolic links are followed, as helm does; the depth bound
/// stops link cycles.
fn walk_tree(
    dir: &Path,
    rel: &Path,
    depth: usize,
    visit: &mut dyn FnMut(&Path, &Path, &fs::Metadata) -> Option<()>,
) -> Option<()> {
    if depth > 32 {
        return None;
    }
    let mut names: Vec<_> = fs::read_dir(dir)
        .ok()?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()
        .ok()?;
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let rel = rel.join(&name);
        let meta = fs::metadata(&path).ok()?;
        visit(&rel, &path, &meta)?;
        if meta.is_dir() {
            walk_tree(&path, &rel, depth + 1, visit)?;
        }
    }
    Some(())
}

/// The kubeconfig files helm would read: `$KUBECONFIG` (a path list), else `~/.kube/config`.
fn kubeconfig_files() -> Vec<PathBuf> {
    match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        Some(list) => std::env::split_paths(&list).collect(),
        None => std::env::var_os("HOME")
            .map(|h| vec![PathBuf::from(h).join(".kube/config")])
            .unwrap_or_default(),
    }
}

/// Length-prefixed fields, so that no two different inputs hash the same byte stream.
struct Fields(Sha256);

impl Fields {
    fn field(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }
    fn opt(&mut self, name: &str, value: Option<&str>) {
        self.field(name.as_bytes());
        match value {
            Some(v) => {
                self.field(b"some");
                self.field(v.as_bytes());
            }
            None => self.field(b"none"),
        }
    }
    fn list(&mut self, name: &str, values: &[String]) {
        self.field(name.as_bytes());
        self.field(&(values.len() as u64).to_le_bytes());
        for v in values {
            self.field(v.as_bytes());
        }
    }
}

fn digest(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Fields(Sha256::new());
    for p in parts {
        h.field(p);
    }
    h.0.finalize().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The overlay `diff` generated last time for a target (identified by `target`), so the next
/// run can start the hardened render together with the base render. Only a prediction: the
/// caller uses that render only when this run's overlay turns out identical.
pub fn last_overlay(settings: &CacheSettings, target: &[&[u8]]) -> Option<String> {
    fs::read_to_string(overlay_path(settings, target)).ok()
}

/// Remembers the overlay generated for a target (see [`last_overlay`]).
pub fn remember_overlay(settings: &CacheSettings, target: &[&[u8]], overlay: &str) {
    write_atomic(&overlay_path(settings, target), overlay.as_bytes());
}

fn overlay_path(settings: &CacheSettings, target: &[&[u8]]) -> PathBuf {
    settings.dir.join("overlays").join(hex(&digest(target)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiled_helm_is_known_by_its_file_and_a_wrapper_by_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let helm = dir.path().join("helm");
        // A compiled executable named helm: known without starting it.
        fs::copy("/bin/true", &helm).unwrap();
        let first = binary_identity(&helm).expect("a compiled helm has a file identity");
        // Replaced by another binary (an upgrade): another identity, so other cache keys.
        fs::remove_file(&helm).unwrap();
        fs::copy("/bin/false", &helm).unwrap();
        let second = binary_identity(&helm).unwrap();
        assert_ne!(first, second);
        // A wrapper script or a shim keeps its file when the helm behind it changes: it has to
        // say its version.
        fs::remove_file(&helm).unwrap();
        fs::write(&helm, "#!/bin/sh\nexec /usr/local/bin/helm \"$@\"\n").unwrap();
        assert_eq!(binary_identity(&helm), None);
        // A compiled executable under another name (mise's shim is its own binary).
        let shim = dir.path().join("mise");
        fs::copy("/bin/true", &shim).unwrap();
        let link = dir.path().join("via-link");
        std::os::unix::fs::symlink(&shim, &link).unwrap();
        assert_eq!(binary_identity(&link), None);
    }

    fn chart(dir: &Path) -> PathBuf {
        let c = dir.join("c");
        fs::create_dir_all(c.join("templates")).unwrap();
        fs::write(c.join("Chart.yaml"), "apiVersion: v2\nname: c\nversion: 0.1.0\n").unwrap();
        fs::write(c.join("templates/cm.yaml"), "kind: ConfigMap\n").unwrap();
        c
    }

    fn request(chart: &Path, values: Vec<PathBuf>) -> RenderRequest {
        RenderRequest {
            chart: chart.to_path_buf(),
            values,
            namespace: Some("ns".into()),
            ..Default::default()
        }
    }

    #[test]
    fn key_changes_with_every_input_and_only_then() {
        let tmp = tempfile::tempdir().unwrap();
        let c = chart(tmp.path());
        let v = tmp.path().join("v.yaml");
        fs::write(&v, "a: 1\n").unwrap();
        let base = request(&c, vec![v.clone()]);
        let k = render_key("v3.17.3", &base).unwrap();
        assert_eq!(render_key("v3.17.3", &base), Some(k.clone()), "same inputs, same key");
        assert_ne!(render_key("v4.1.4", &base).unwrap(), k, "helm version");
        let mut r = base.clone();
        r.set = vec!["a=2".into()];
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "--set");
        let mut r = base.clone();
        r.set_string = vec!["a=2".into()];
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "--set-string");
        let mut r = base.clone();
        r.release = Some("x".into());
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "release");
        let mut r = base.clone();
        r.kube_version = Some("1.30".into());
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "kube-version");
        let mut r = base.clone();
        r.include_crds = true;
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "--include-crds");
        let mut r = base.clone();
        r.namespace = Some("other".into());
        assert_ne!(render_key("v3.17.3", &r).unwrap(), k, "namespace");
        fs::write(&v, "a: 2\n").unwrap();
        assert_ne!(render_key("v3.17.3", &base).unwrap(), k, "values content");
        fs::write(&v, "a: 1\n").unwrap();
        fs::create_dir_all(c.join("charts/dep")).unwrap();
        fs::write(c.join("charts/dep/Chart.yaml"), "name: dep\n").unwrap();
        assert_ne!(
            render_key("v3.17.3", &base).unwrap(),
            k,
            "a dependency under charts/ is chart content"
        );
        fs::remove_dir_all(c.join("charts")).unwrap();
        assert_eq!(render_key("v3.17.3", &base).unwrap(), k, "back to the same inputs");
        assert_eq!(
            render_key("v3.17.3", &request(&c, vec![tmp.path().join("missing.yaml")])),
            None,
            "unreadable values: no caching"
        );
    }

    /// A stand-in for helm: a script that runs `body` and prints one object.
    fn script_helm(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("fake-helm");
        fs::write(&path, format!("#!/bin/sh\n{body}\necho 'kind: ConfigMap'\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[test]
    fn a_cold_render_is_stored_under_its_key_unless_an_input_changed_while_helm_ran() {
        let tmp = tempfile::tempdir().unwrap();
        let c = chart(tmp.path());
        let v = tmp.path().join("v.yaml");
        fs::write(&v, "a: 1\n").unwrap();
        let req = request(&c, vec![v.clone()]);
        let s = CacheSettings { dir: tmp.path().join("cache"), max_bytes: 1 << 20 };
        let quiet = script_helm(tmp.path(), ":");
        let stamps = || {
            std::thread::sleep(SETTLE);
            let stamps = input_stamps(&req).unwrap();
            assert!(stamps.settled());
            stamps
        };
        assert_eq!(
            render_keyed_beside(&s, &quiet, &req, "id", stamps()).unwrap(),
            "kind: ConfigMap\n"
        );
        let key = render_key("id", &req).unwrap();
        assert_eq!(get(&s, &key).as_deref(), Some("kind: ConfigMap\n"), "stored under its key");
        // Values edited while helm renders: the key worked out beside the render may describe
        // either content, so nothing is stored.
        fs::remove_dir_all(&s.dir).unwrap();
        let editing = script_helm(tmp.path(), &format!("echo 'a: 2' > {}", v.display()));
        render_keyed_beside(&s, &editing, &req, "id", stamps()).unwrap();
        assert!(!s.renders().exists() || fs::read_dir(s.renders()).unwrap().next().is_none());
        // A chart file edited while helm renders: the same.
        let touching = script_helm(
            tmp.path(),
            &format!("echo '# x' >> {}", c.join("templates/cm.yaml").display()),
        );
        render_keyed_beside(&s, &touching, &req, "id", stamps()).unwrap();
        assert!(!s.renders().exists() || fs::read_dir(s.renders()).unwrap().next().is_none());
    }

    #[test]
    fn files_this_run_wrote_once_are_settled_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let c = chart(tmp.path());
        assert!(!settled(&chart_stamps(&c).unwrap()), "just written");
        written_once(tmp.path());
        assert!(settled(&chart_stamps(&c).unwrap()));
        let req = request(&c, Vec::new());
        assert!(input_stamps(&req).is_some_and(|s| s.settled()));
        // Another directory's new files are still too recent.
        let other = tempfile::tempdir().unwrap();
        assert!(!settled(&chart_stamps(&chart(other.path())).unwrap()));
    }

    #[test]
    fn a_chart_digest_is_reused_only_while_its_files_keep_their_stamps() {
        let tmp = tempfile::tempdir().unwrap();
        let c = chart(tmp.path());
        // Just written: not settled, so not remembered (a second write in the same clock tick
        // would keep the stamps).
        assert!(!settled(&chart_stamps(&c).unwrap()));
        std::thread::sleep(SETTLE);
        let first = chart_digest(&c, None).unwrap();
        assert_eq!(chart_digest(&c, None).unwrap(), first);
        // Same size, new content: the stamps (ctime at least) move, so it is read again.
        fs::write(c.join("templates/cm.yaml"), "kind: Configmap\n").unwrap();
        assert_ne!(chart_digest(&c, None).unwrap(), first);
    }

    #[test]
    fn entries_round_trip_and_truncated_ones_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let s = CacheSettings { dir: tmp.path().to_path_buf(), max_bytes: 1 << 20 };
        put(&s, "k1", "kind: A\n");
        assert_eq!(get(&s, "k1").as_deref(), Some("kind: A\n"));
        let path = s.renders().join("k1");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, &text[..text.len() - 2]).unwrap();
        assert_eq!(get(&s, "k1"), None);
        assert_eq!(get(&s, "k2"), None);
    }

    #[test]
    fn prune_keeps_the_most_recently_used_entries_under_the_cap() {
        let tmp = tempfile::tempdir().unwrap();
        let s = CacheSettings { dir: tmp.path().to_path_buf(), max_bytes: 3000 };
        let body = "x".repeat(900);
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            put(&s, key, &body);
            let f = fs::File::options().append(true).open(s.renders().join(key)).unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + i as u64)).unwrap();
        }
        assert!(get(&s, "a").is_some(), "a is now the most recently used");
        put(&s, "d", &body);
        let mut left: Vec<String> = fs::read_dir(s.renders())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["a", "c", "d"], "b was the least recently used");
    }

    #[test]
    fn no_cache_and_zero_cap_disable_it() {
        assert_eq!(CacheSettings::resolve(Some(Path::new("/x")), true, 100), None);
        assert_eq!(CacheSettings::resolve(Some(Path::new("/x")), false, 0), None);
        assert_eq!(
            CacheSettings::resolve(Some(Path::new("/x")), false, 1),
            Some(CacheSettings { dir: "/x".into(), max_bytes: 1 << 20 })
        );
    }
}
