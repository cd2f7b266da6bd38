//! The pipeline for one target: plan what to check, then render (or read) → parse → check.
//! The CLI's commands are built on this.

use crate::check::{check, CheckReport, ValuesContext};
use crate::config::{self, Config, TargetConfig};
use crate::error::{Error, Result};
use crate::parse::chart::{read_chart_yaml, ChartInfo};
use crate::parse::values::{self, parse_set, ValuesFile};
use crate::parse::{Doc, Keep};
use crate::render::{self, RenderRequest};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Chart, values and helm arguments, as the user gave them (helm's own terms).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub chart: Option<PathBuf>,
    pub values: Vec<PathBuf>,
    pub set: Vec<String>,
    pub set_string: Vec<String>,
    pub namespace: Option<String>,
    pub release: Option<String>,
    pub kube_version: Option<String>,
    pub helm: Option<PathBuf>,
    pub timeout_secs: u64,
    pub manifests: Option<PathBuf>,
    pub max_render_mb: usize,
    /// Let helm fetch the chart's dependencies (`helm template --dependency-update`).
    pub dependency_update: bool,
    /// Render cache (None: `--no-cache`).
    pub cache: Option<crate::render::cache::CacheSettings>,
    /// `--include-crds`: render the chart's CRDs too (`helm template --include-crds`).
    pub include_crds: bool,
    /// `--allow-no-gloo`: a render no rule applies to is checked (and passes) instead of refused.
    pub allow_no_gloo: bool,
}

/// One render to check.
#[derive(Debug, Clone)]
pub struct Job {
    pub label: Option<String>,
    pub chart: Option<PathBuf>,
    pub manifests: Option<PathBuf>,
    pub request: RenderRequest,
    pub helm: Option<PathBuf>,
    pub cache: Option<crate::render::cache::CacheSettings>,
    /// See [`Inputs::allow_no_gloo`].
    pub allow_no_gloo: bool,
}

/// What to check: the chart given, else the config's targets (each value set), else the chart
/// in the current directory with its own values.
pub fn plan(args: &Inputs, config: &Config, cwd: &Path) -> Result<Vec<Job>> {
    let request = |chart: PathBuf, values: Vec<PathBuf>, t: Option<&TargetConfig>| RenderRequest {
        chart,
        release: args.release.clone().or_else(|| t.and_then(|t| t.release.clone())),
        namespace: args.namespace.clone().or_else(|| t.and_then(|t| t.namespace.clone())),
        values,
        set: t
            .map(|t| t.set.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(args.set.iter().cloned())
            .collect(),
        set_string: args.set_string.clone(),
        kube_version: args.kube_version.clone().or_else(|| t.and_then(|t| t.kube_version.clone())),
        timeout: Some(Duration::from_secs(args.timeout_secs.max(1))),
        max_bytes: args.max_render_mb.saturating_mul(1024 * 1024),
        dependency_update: args.dependency_update,
        include_crds: args.include_crds,
    };
    if args.chart.is_some() || args.manifests.is_some() {
        let chart = args.chart.clone();
        return Ok(vec![Job {
            label: None,
            chart: chart.clone(),
            manifests: args.manifests.clone(),
            request: request(chart.unwrap_or_default(), args.values.clone(), None),
            helm: args.helm.clone(),
            cache: args.cache.clone(),
            allow_no_gloo: args.allow_no_gloo,
        }]);
    }
    if !config.targets.is_empty() {
        let mut jobs = Vec::new();
        for t in &config.targets {
            let sets = if t.value_sets.is_empty() {
                vec![("default".to_string(), Vec::new())]
            } else {
                t.value_sets.clone()
            };
            let chart = under_cwd(&t.chart, cwd);
            for (set_name, files) in sets {
                let files: Vec<PathBuf> = files
                    .iter()
                    .map(|f| under_cwd(f, cwd))
                    .chain(args.values.iter().cloned())
                    .collect();
                jobs.push(Job {
                    label: Some(format!("{}/{set_name}", t.name)),
                    chart: Some(chart.clone()),
                    manifests: None,
                    request: request(chart.clone(), files, Some(t)),
                    helm: args.helm.clone(),
                    cache: args.cache.clone(),
                    allow_no_gloo: args.allow_no_gloo,
                });
            }
        }
        return Ok(jobs);
    }
    if cwd.join("Chart.yaml").is_file() {
        return Ok(vec![Job {
            label: None,
            chart: Some(cwd.to_path_buf()),
            manifests: None,
            request: request(cwd.to_path_buf(), args.values.clone(), None),
            helm: args.helm.clone(),
            cache: args.cache.clone(),
            allow_no_gloo: args.allow_no_gloo,
        }]);
    }
    Err(Error::new(format!(
        "no chart to check: give a CHART, --manifests FILE, or run in a chart directory or under a {} with targets",
        config::FILE_NAME
    )))
}

/// A config target's path (resolved against the config's directory: absolute when the config
/// was found upward from `cwd`) relative to `cwd` when it is under it, as the user's paths on
/// the command line are given, so that reports name `values/prod.yaml` either way.
fn under_cwd(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf(),
        _ => path.to_path_buf(),
    }
}

/// Runs `work` on every job, at most `max` at a time (each job runs helm: renders of several
/// targets overlap). Results come back in job order; the first error in job order wins.
pub fn map_jobs<T: Send>(
    jobs: &[Job],
    max: usize,
    work: impl Fn(&Job) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    if max <= 1 || jobs.len() <= 1 {
        return jobs.iter().map(&work).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<T>>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..max.min(jobs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let result = work(job);
                *slots[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .unwrap_or_else(|| Err(Error::new("a check did not run")))
        })
        .collect()
}

/// The number of cores, the default for `-j`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// How many renders a run sends out together: `per_target` for each target rendered at once
/// (`-j`, at most the number of targets).
pub fn renders_at_once(targets: usize, jobs_at_once: usize, per_target: usize) -> usize {
    targets.min(jobs_at_once).max(1) * per_target
}

/// A checked render, with what later steps (overlay, diff) need.
#[derive(Debug)]
pub struct Checked {
    pub report: CheckReport,
    pub values: ValuesContext,
    /// The parsed documents: whole from [`crate::harden`] (the diff compares them), pruned to
    /// what the rules read from [`run_job`].
    pub docs: Vec<Doc>,
    /// Rendered names of the gateway proxies.
    pub proxies: Vec<String>,
}

impl Checked {
    /// The report alone. A large render's documents are freed on a thread of their own, while
    /// the report is printed: freeing millions of nodes takes a tenth of a second.
    pub fn into_report(self) -> CheckReport {
        let Checked { report, docs, .. } = self;
        if docs.len() >= FREE_ASIDE_THRESHOLD {
            std::thread::spawn(move || drop(docs));
        }
        report
    }
}

/// From this many documents on, [`Checked::into_report`] frees them on another thread.
const FREE_ASIDE_THRESHOLD: usize = 10_000;

/// The user's values files and `--set` keys of a job, read and validated before anything runs.
pub fn load_values(job: &Job) -> Result<(Vec<ValuesFile>, Vec<values::SetKey>)> {
    let files: Vec<ValuesFile> =
        job.request.values.iter().map(|p| ValuesFile::load(p)).collect::<Result<_>>()?;
    let mut sets = Vec::new();
    for s in &job.request.set {
        sets.extend(parse_set("--set", s)?);
    }
    for s in &job.request.set_string {
        sets.extend(parse_set("--set-string", s)?);
    }
    if let Some(chart) = &job.chart {
        check_chart_path(chart)?;
    }
    Ok((files, sets))
}

/// The manifest stream of a job: helm's render, or the `--manifests` file. `extra_values` are
/// added after the user's files (overlays apply last, as helm's later `-f` files do).
pub fn render_stream(job: &Job, extra_values: &[PathBuf]) -> Result<(String, String)> {
    if let Some(path) = &job.manifests {
        let name =
            if path == Path::new("-") { "<stdin>".to_string() } else { path.display().to_string() };
        Ok((read_manifests(path, job.request.max_bytes)?, name))
    } else {
        let helm = render::find_helm(job.helm.as_deref())?;
        let mut request = job.request.clone();
        request.values.extend(extra_values.iter().cloned());
        let stream = crate::render::cache::render(job.cache.as_ref(), &helm, &request)
            .map_err(|e| with_values_at_fault(job, e))?;
        Ok((stream, format!("render of {}", job.request.chart.display())))
    }
}

/// A render as [`render_stream`] gives it: the stream and the name of where it came from.
pub type Rendered = Result<(String, String)>;

/// The job's render and its render with `extra` values added (the hardened one), as
/// [`render_stream`] gives each (`files`: the job's values files, as [`load_values`] read
/// them): from one helm process when [`crate::render::pair`] can render both faithfully, else
/// each on its own, at once.
pub fn render_pair(job: &Job, files: &[ValuesFile], extra: &[PathBuf]) -> (Rendered, Rendered) {
    if job.manifests.is_none() {
        if let Ok(helm) = render::find_helm(job.helm.as_deref()) {
            let head = &job.request;
            let hardened = RenderRequest {
                values: head.values.iter().chain(extra).cloned().collect(),
                ..head.clone()
            };
            let plan = || crate::render::pair::PairPlan::new(head, &hardened, files);
            let paired =
                crate::render::cache::render_pair(job.cache.as_ref(), &helm, head, &hardened, plan);
            if let Some((head_stream, hardened_stream)) = paired {
                let name = format!("render of {}", head.chart.display());
                return (Ok((head_stream, name.clone())), Ok((hardened_stream, name)));
            }
        }
    }
    std::thread::scope(|s| {
        let hardened = s.spawn(|| render_stream(job, extra));
        let head = render_stream(job, &[]);
        (head, hardened.join().unwrap_or_else(|_| Err(Error::new("the hardened render crashed"))))
    })
}

/// A failed render's error, led by the values line most likely at fault when the values
/// schema finds one (VALUES-003 first: a scalar where the chart expects a mapping is what
/// makes a template fail with `can't evaluate field ... in type bool`, naming no values line).
/// helm's own message follows.
fn with_values_at_fault(job: &Job, error: Error) -> Error {
    use crate::check::schema::values_check::IssueKind;
    if error.kind() != crate::error::ErrorKind::HelmFailed {
        return error;
    }
    let Ok((files, sets)) = load_values(job) else { return error };
    if files.is_empty() && sets.is_empty() {
        return error;
    }
    let schema = crate::check::schema::ChartSchema::cached(job.chart.as_deref(), None);
    let issues = schema.check_values(&files, &sets);
    // Only a value of the wrong type makes a template fail; an unknown key is ignored by helm,
    // so naming one first would point away from the cause.
    let Some(first) = issues.iter().find(|i| i.kind == IssueKind::WrongType) else {
        return match issues.len() {
            0 => error,
            n => Error::new(format!(
                "{} (the values also have {n} problem(s) of their own: `helm-harden check --values-only` lists them)",
                error.message()
            )),
        };
    };
    let at =
        if first.from_set { first.file.clone() } else { format!("{}:{}", first.file, first.line) };
    let more = match issues.len() - 1 {
        0 => String::new(),
        n => format!(" ({n} more values problem(s): `helm-harden check --values-only` lists them)"),
    };
    Error::new(format!("{at}: {}: {}{more}; {}", first.path, first.message, error.message()))
}

/// Parses a stream, keeping what `keep` says; an empty render is an error.
pub fn parse(stream: &str, source: &str, keep: Keep) -> Result<Vec<Doc>> {
    let docs = crate::parse::parse_stream_keeping(stream, keep)
        .map_err(|e| Error::new(format!("{source}:{}:{}: {}", e.line, e.col, e.message)))?;
    if docs.is_empty() {
        return Err(Error::new(format!(
            "{source}: the render is empty: no Kubernetes object to check"
        )));
    }
    Ok(docs)
}

/// Whether [`check_docs`] judges the user's values against the chart's values schema
/// (VALUES-*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeValues {
    Yes,
    /// The hardened render of `diff`: the same values plus the overlay, already judged with
    /// the base render (the overlay is helm-harden's own, not the user's to fix).
    AlreadyJudged,
}

/// Checks parsed documents against the job's values.
pub fn check_docs(
    job: &Job,
    docs: Vec<Doc>,
    files: Vec<ValuesFile>,
    sets: Vec<values::SetKey>,
    (config, today): (&Config, &str),
    judge: JudgeValues,
) -> Checked {
    let chart_dir = job.chart.as_deref().filter(|c| c.is_dir());
    let chart = ChartInfo::from_render(chart_dir, &docs);
    let has_values = !files.is_empty() || !sets.is_empty();
    let (schema, crds) = match judge {
        JudgeValues::Yes => (
            values_schema(job, &chart, has_values && SchemaWork::of(config).values),
            resource_crds(job, &docs).filter(|_| SchemaWork::of(config).resources),
        ),
        JudgeValues::AlreadyJudged => (None, None),
    };
    let values = ValuesContext {
        schema,
        prefix: chart.values_prefix.clone(),
        proxy_keys: proxy_keys(chart_dir, &chart.values_prefix, &files),
        files,
        sets,
        generated_gateway_extras: crate::check::generated_gateway_extras(&docs),
        crds,
        version: chart.gloo_version,
    };
    let mut report = check(&docs, chart, &values, config, today);
    report.target.clone_from(&job.label);
    let proxies = crate::parse::model::proxy_names(&docs);
    Checked { report, values, docs, proxies }
}

/// The values schema the user's values are judged by (VALUES-*): the chart's, or for a bare
/// render of Gloo, Gloo's own by the render's version. None when there is nothing to judge (no
/// values given) or nothing to judge by (a bare render that is not Gloo).
pub fn values_schema(
    job: &Job,
    chart: &ChartInfo,
    has_values: bool,
) -> Option<std::sync::Arc<crate::check::schema::ChartSchema>> {
    if !has_values {
        return None;
    }
    let chart_path = job.chart.as_deref().filter(|c| c.exists());
    if chart_path.is_none() && chart.gloo_version.is_none() {
        return None;
    }
    // A chart that gives its Gloo version itself has one schema whatever the render says: the
    // one [`warm_schemas`] built while helm rendered.
    if chart_path.is_some() {
        let schema = crate::check::schema::ChartSchema::cached(chart_path, None);
        if schema.gloo_version.is_some() || schema.gloo_at.is_none() {
            return Some(schema);
        }
    }
    Some(crate::check::schema::ChartSchema::cached(chart_path, chart.gloo_version))
}

/// The CRDs the rendered custom resources are judged by: the chart's (`crds/`, its subcharts'
/// too), else the CustomResourceDefinitions in the render. None when there are none.
fn resource_crds(
    job: &Job,
    docs: &[Doc],
) -> Option<std::sync::Arc<crate::check::schema::crd::CrdSet>> {
    use crate::check::schema::crd::CrdSet;
    let chart = job.chart.as_deref().filter(|c| c.exists() && job.manifests.is_none());
    if let Some(set) = chart.map(CrdSet::cached).filter(|set| !set.is_empty()) {
        return Some(set);
    }
    let set = CrdSet::of_docs(docs);
    (!set.is_empty()).then(|| std::sync::Arc::new(set))
}

/// Builds what the schema checks need of the job's chart (its values schema, its CRDs of the
/// kinds its templates name) on a thread of its own, while helm renders: the check then finds
/// them built. The thread is not waited for: a check that gets there first builds what it
/// needs itself, or waits for what is being built.
pub fn warm_schemas(job: &Job, config: &Config) {
    let Some(chart) = job.chart.clone().filter(|c| c.exists() && job.manifests.is_none()) else {
        return;
    };
    let work = SchemaWork::of(config);
    let has_values = !job.request.values.is_empty()
        || !job.request.set.is_empty()
        || !job.request.set_string.is_empty();
    let spawned = std::thread::Builder::new().name("warm-schemas".into()).spawn(move || {
        if work.resources {
            crate::check::schema::crd::CrdSet::cached(&chart).prefetch();
        }
        if has_values && work.values {
            crate::check::schema::ChartSchema::cached(Some(&chart), None);
        }
    });
    // Without a thread the check builds them itself.
    drop(spawned);
}

/// Which schema work a run does: none for rules the config switches off (`VALUES-*: off`
/// skips building the values schema and reading the CRDs, not only the findings).
#[derive(Debug, Clone, Copy)]
struct SchemaWork {
    /// The values schema: VALUES-001..004, and placing VALUES-005/006 at the values line.
    values: bool,
    /// The CRDs: VALUES-005/006.
    resources: bool,
}

impl SchemaWork {
    fn of(config: &Config) -> SchemaWork {
        use crate::rules::{
            VALUES_DUPLICATE_KEY, VALUES_OTHER_VERSION, VALUES_PRUNED_FIELD, VALUES_REFUSED_VALUE,
            VALUES_TYPE, VALUES_UNKNOWN_KEY,
        };
        let on =
            |rules: &[&crate::rules::Rule]| rules.iter().any(|r| config.severity_of(r).is_some());
        let resources = on(&[&VALUES_PRUNED_FIELD, &VALUES_REFUSED_VALUE]);
        let values = resources
            || on(&[
                &VALUES_UNKNOWN_KEY,
                &VALUES_OTHER_VERSION,
                &VALUES_TYPE,
                &VALUES_DUPLICATE_KEY,
            ]);
        SchemaWork { values, resources }
    }
}

/// Checks one job's values files and `--set` keys against its chart's values schema alone
/// (`check --values-only`): no render. The report holds the VALUES-* findings only.
pub fn check_values_only(job: &Job, config: &Config, today: &str) -> Result<CheckReport> {
    let (files, sets) = load_values(job)?;
    let Some(chart_path) = job.chart.as_deref() else {
        return Err(Error::new("--values-only needs a CHART: the values are judged by its schema"));
    };
    if files.is_empty() && sets.is_empty() {
        return Err(Error::in_file(
            chart_path,
            "--values-only: no values file (-f) or --set to check",
        ));
    }
    let chart = ChartInfo::from_render(Some(chart_path).filter(|c| c.is_dir()), &[]);
    let values = ValuesContext {
        schema: Some(crate::check::schema::ChartSchema::cached(
            Some(chart_path),
            chart.gloo_version,
        )),
        prefix: chart.values_prefix.clone(),
        files,
        sets,
        ..ValuesContext::default()
    };
    let mut report = check(&[], chart, &values, config, today);
    report.retain(|f| f.object.kind == crate::check::VALUES_KIND);
    report.target.clone_from(&job.label);
    Ok(report)
}

/// Renders (or reads) one job's manifests and checks them.
pub fn run_job(job: &Job, config: &Config, today: &str) -> Result<Checked> {
    // A check reads only what the rules read.
    let (checked, source) = check_job(job, (config, today), Keep::WhatRulesRead)?;
    require_rules_apply(job, &checked, &source)?;
    Ok(checked)
}

/// Loads, renders, parses (keeping what `keep` says) and checks one job, and names its source;
/// whether a rule applies to the render is the caller's to judge ([`require_rules_apply`]: the
/// base of a change may hold no Gloo yet).
pub fn check_job(
    job: &Job,
    (config, today): (&Config, &str),
    keep: Keep,
) -> Result<(Checked, String)> {
    let (files, sets) = load_values(job)?;
    warm_schemas(job, config);
    let (stream, source) = render_stream(job, &[])?;
    // The render's text is not needed once parsed.
    let docs = parse(&stream, &source, keep)?;
    drop(stream);
    Ok((check_docs(job, docs, files, sets, (config, today), JudgeValues::Yes), source))
}

/// Refuses a render no rule applies to (a chart without Gloo, an umbrella whose gloo
/// dependency is disabled, a wrong path): every rule NA is no evidence of hardening, and a gate
/// that passes it passes anything. `--allow-no-gloo` checks it anyway. One line: what was
/// rendered and what was expected.
pub fn require_rules_apply(job: &Job, checked: &Checked, source: &str) -> Result<()> {
    if checked.report.applies || job.allow_no_gloo {
        return Ok(());
    }
    let chart = &checked.report.chart;
    let chart_name = match (&chart.name, &chart.chart_version) {
        (Some(name), Some(version)) if !version.is_empty() => format!("chart {name} {version}: "),
        (Some(name), _) => format!("chart {name}: "),
        _ => String::new(),
    };
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for doc in &checked.docs {
        match kinds.iter_mut().find(|(kind, _)| *kind == doc.kind.as_str()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((doc.kind.as_str(), 1)),
        }
    }
    const SHOWN: usize = 5;
    let mut listed: Vec<String> =
        kinds.iter().take(SHOWN).map(|(kind, n)| format!("{n} {kind}")).collect();
    if kinds.len() > SHOWN {
        listed.push(format!("{} more kinds", kinds.len() - SHOWN));
    }
    Err(Error::new(format!(
        "{source}: no hardening rule applies: rendered {chart_name}{} ({}), expected Gloo Edge \
         (the gloo control-plane Deployment, a gateway proxy, Settings or a Gateway); check the \
         chart path and that the gloo dependency is enabled, or pass --allow-no-gloo to check it \
         anyway",
        match checked.docs.len() {
            1 => "1 object".to_string(),
            n => format!("{n} objects"),
        },
        listed.join(", ")
    )))
}

fn check_chart_path(chart: &Path) -> Result<()> {
    let meta = match std::fs::metadata(chart) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::in_file(chart, "chart not found"))
        }
        Err(e) => {
            return Err(Error::in_file(
                chart,
                format!("cannot read chart: {}", crate::parse::input::io_reason(&e)),
            ))
        }
    };
    if meta.is_dir() {
        let chart_yaml = chart.join("Chart.yaml");
        // An unreadable directory is not "a directory without Chart.yaml": say which it is.
        if let Err(e) = std::fs::read_dir(chart) {
            return Err(Error::in_file(
                chart,
                format!("cannot read chart directory: {}", crate::parse::input::io_reason(&e)),
            ));
        }
        if !chart_yaml.exists() {
            return Err(Error::in_file(chart, "not a chart: no Chart.yaml in this directory"));
        }
        let bytes = crate::parse::input::read_regular(
            &chart_yaml,
            crate::parse::input::MAX_CHART_FILE_BYTES,
            "Chart.yaml",
        )?;
        let text = crate::parse::input::utf8_text(&chart_yaml, bytes, "Chart.yaml is not UTF-8")?;
        let parsed = crate::parse::yaml::parse_one(&text, 1).map_err(|e| {
            Error::at(&chart_yaml, e.line, e.col, format!("invalid YAML: {}", e.message))
        })?;
        if parsed
            .root
            .get("name")
            .and_then(crate::parse::yaml::Node::scalar_text)
            .is_none_or(|n| n.is_empty())
        {
            return Err(Error::at(
                &chart_yaml,
                parsed.root.line().max(1),
                1,
                "Chart.yaml has no name",
            ));
        }
        debug_assert!(read_chart_yaml(chart).is_some());
        return Ok(());
    }
    if meta.is_file() {
        return Ok(()); // a packaged chart: helm reads it
    }
    Err(Error::in_file(chart, "not a chart: neither a directory nor a packaged .tgz"))
}

fn read_manifests(path: &Path, max: usize) -> Result<String> {
    let mut bytes = Vec::new();
    // Saturating: `--max-render-mb` near usize::MAX must mean "no practical limit", not wrap to 0.
    let limit = (max as u64).saturating_add(1);
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| {
            // Sized up front: a large render is read without regrowing (and copying) the buffer.
            let size = f.metadata().map_or(0, |m| m.len()).min(limit);
            bytes.reserve_exact(usize::try_from(size).unwrap_or(0));
            f.take(limit).read_to_end(&mut bytes)
        })
    };
    let name = if path == Path::new("-") { Path::new("<stdin>") } else { path };
    if path.is_dir() {
        return Err(Error::in_file(path, "cannot read manifests: it is a directory"));
    }
    read.map_err(|e| {
        Error::in_file(
            name,
            format!("cannot read manifests: {}", crate::parse::input::io_reason(&e)),
        )
    })?;
    if bytes.len() > max {
        return Err(Error::in_file(
            name,
            format!(
                "manifests exceed the {} MiB limit (raise it with --max-render-mb)",
                max / (1024 * 1024)
            ),
        ));
    }
    crate::parse::input::utf8_text(name, bytes, "manifests are not UTF-8")
}

/// `gatewayProxies` keys from the chart's values and the user's files, to name proxies the way
/// the values do.
fn proxy_keys(chart_dir: Option<&Path>, prefix: &str, files: &[ValuesFile]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |root: &crate::parse::yaml::Node, path: &str| {
        if let Some(node) = root.path(path) {
            keys.extend(node.entries().iter().map(|e| e.key.to_string()));
        }
    };
    let path = format!("{prefix}gatewayProxies");
    let path = path.trim_start_matches('.');
    if let Some(dir) = chart_dir {
        for (file, p) in [
            (dir.join("values.yaml"), path.to_string()),
            (dir.join("charts/gloo/values.yaml"), "gatewayProxies".to_string()),
        ] {
            if let Some(text) = crate::parse::input::read_text_lenient(
                &file,
                crate::parse::input::MAX_CHART_FILE_BYTES,
            ) {
                if let Ok(parsed) = crate::parse::yaml::parse_one(&text, 1) {
                    add(&parsed.root, &p);
                }
            }
        }
    }
    for f in files {
        add(&f.root, path);
    }
    keys.sort();
    keys.dedup();
    keys
}
