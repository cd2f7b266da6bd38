//! The command line: a thin layer over render → parse → check → report.

use crate::chart::{read_chart_yaml, ChartInfo};
use crate::check::{check, CheckReport, ValuesContext};
use crate::config::{self, Config, TargetConfig};
use crate::error::{Error, Result};
use crate::render::{self, RenderRequest};
use crate::report;
use crate::rules::{self, Severity};
use crate::values::{self, parse_set, ValuesFile};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "helm-harden", version, about = "Gate Helm changes to the Gloo Edge gateway: render the chart, check every production-hardening point, and point at the values line that fixes each failure.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart with your values and check every hardening point.
    Check(CheckArgs),
    /// List the rules, or explain one (`helm-harden rules GLOO-001`).
    Rules(RulesArgs),
}

/// Chart, values and helm arguments, in helm's own terms.
#[derive(Debug, Args, Clone, Default)]
pub struct ChartArgs {
    /// Chart directory or packaged `.tgz`. Default: the config's targets, else the chart in the
    /// current directory.
    pub chart: Option<PathBuf>,
    /// Values file (repeatable; later files win, as in helm).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set a value (`key=value`, repeatable), as `helm --set`.
    #[arg(long = "set", value_name = "K=V")]
    pub set: Vec<String>,
    /// Set a string value, as `helm --set-string`.
    #[arg(long = "set-string", value_name = "K=V")]
    pub set_string: Vec<String>,
    /// Namespace to render into.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Release name (default: helm's).
    #[arg(long)]
    pub release: Option<String>,
    /// Kubernetes version for `Capabilities.KubeVersion`.
    #[arg(long = "kube-version", value_name = "V")]
    pub kube_version: Option<String>,
    /// helm binary (default: $HELM_BIN, then PATH).
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
    /// Kill helm (and its children) after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,
    /// Check a pre-rendered manifest stream instead of running helm (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub manifests: Option<PathBuf>,
    /// Largest render accepted, in MiB.
    #[arg(long = "max-render-mb", value_name = "MIB", default_value_t = 512)]
    pub max_render_mb: usize,
    /// Config file (default: `.helm-harden.yaml` found upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Info => Severity::Info,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also report passes, NA (with the reason) and advisories.
    #[arg(long)]
    pub all: bool,
    /// Exit 1 when a failure of this severity or higher remains (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// A rule ID to explain.
    pub id: Option<String>,
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// Runs the CLI and returns the exit code: 0 clean, 1 failures at/above the threshold, 2 error.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Rules(args) => rules_command(args),
        Command::Check(args) => check_command(args),
    }
}

fn rules_command(args: RulesArgs) -> Result<i32> {
    let text = match (&args.id, args.format) {
        (Some(id), _) => {
            let rule = rules::find(id).ok_or_else(|| Error::new(format!("unknown rule ID {id} (see `helm-harden rules`)")))?;
            crate::docs::explain(rule)
        }
        (None, RulesFormat::Text) => crate::docs::list(),
        (None, RulesFormat::Markdown) => crate::docs::markdown_table(),
    };
    print_out(&text)?;
    Ok(0)
}

fn print_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(format!("cannot write output: {e}"))),
    }
}

fn check_command(args: CheckArgs) -> Result<i32> {
    let cwd = std::env::current_dir().map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    let config = Config::discover(args.chart.config.as_deref(), &cwd)?;
    let today = config::today();
    let jobs = plan(&args.chart, &config, &cwd)?;
    let mut reports = Vec::new();
    for job in &jobs {
        let mut report = run_job(job, &config, &today)?;
        report.target = job.label.clone();
        reports.push(report);
    }
    let threshold: Severity = args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let output = match args.format {
        Format::Json => report::json::render(&reports, args.all),
        Format::Text => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal(),
            };
            report::text::render(&reports, args.all, report::text::Style { color })
        }
    };
    print_out(&output)?;
    let failing: usize = reports.iter().map(|r| r.failing_at(threshold)).sum();
    Ok(if failing > 0 { 1 } else { 0 })
}

/// One render to check.
#[derive(Debug, Clone)]
pub struct Job {
    pub label: Option<String>,
    pub chart: Option<PathBuf>,
    pub manifests: Option<PathBuf>,
    pub request: RenderRequest,
    pub helm: Option<PathBuf>,
}

/// What to check: the chart given, else the config's targets (each value set), else the chart
/// in the current directory with its own values.
pub fn plan(args: &ChartArgs, config: &Config, cwd: &Path) -> Result<Vec<Job>> {
    let request = |chart: PathBuf, values: Vec<PathBuf>, t: Option<&TargetConfig>| RenderRequest {
        chart,
        release: args.release.clone().or_else(|| t.and_then(|t| t.release.clone())),
        namespace: args.namespace.clone().or_else(|| t.and_then(|t| t.namespace.clone())),
        values,
        set: t.map(|t| t.set.clone()).unwrap_or_default().into_iter().chain(args.set.iter().cloned()).collect(),
        set_string: args.set_string.clone(),
        kube_version: args.kube_version.clone().or_else(|| t.and_then(|t| t.kube_version.clone())),
        timeout: Some(Duration::from_secs(args.timeout.max(1))),
        max_bytes: args.max_render_mb.saturating_mul(1024 * 1024),
    };
    if args.chart.is_some() || args.manifests.is_some() {
        let chart = args.chart.clone();
        return Ok(vec![Job {
            label: None,
            chart: chart.clone(),
            manifests: args.manifests.clone(),
            request: request(chart.unwrap_or_default(), args.values.clone(), None),
            helm: args.helm.clone(),
        }]);
    }
    if !config.targets.is_empty() {
        let mut jobs = Vec::new();
        for t in &config.targets {
            let sets = if t.value_sets.is_empty() { vec![("default".to_string(), Vec::new())] } else { t.value_sets.clone() };
            for (set_name, files) in sets {
                let files: Vec<PathBuf> = files.into_iter().chain(args.values.iter().cloned()).collect();
                jobs.push(Job {
                    label: Some(format!("{}/{set_name}", t.name)),
                    chart: Some(t.chart.clone()),
                    manifests: None,
                    request: request(t.chart.clone(), files, Some(t)),
                    helm: args.helm.clone(),
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
        }]);
    }
    Err(Error::new(format!(
        "no chart to check: give a CHART, --manifests FILE, or run in a chart directory or under a {} with targets",
        config::FILE_NAME
    )))
}

/// Renders (or reads) one job's manifests and checks them.
pub fn run_job(job: &Job, config: &Config, today: &str) -> Result<CheckReport> {
    let files: Vec<ValuesFile> = job.request.values.iter().map(|p| ValuesFile::load(p)).collect::<Result<_>>()?;
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
    let (stream, source) = match &job.manifests {
        Some(path) => (read_manifests(path, job.request.max_bytes)?, path.display().to_string()),
        None => {
            let helm = render::find_helm(job.helm.as_deref())?;
            (render::render(&helm, &job.request)?, format!("render of {}", job.request.chart.display()))
        }
    };
    let docs = crate::parse::parse_stream(&stream).map_err(|e| Error::new(format!("{source}:{}:{}: {}", e.line, e.col, e.message)))?;
    if docs.is_empty() {
        return Err(Error::new(format!("{source}: the render is empty: no Kubernetes object to check")));
    }
    let chart_dir = job.chart.as_deref().filter(|c| c.is_dir());
    let chart = ChartInfo::from_render(chart_dir, &docs);
    let values = ValuesContext { prefix: chart.values_prefix.clone(), proxy_keys: proxy_keys(chart_dir, &chart.values_prefix, &files), files, sets };
    Ok(check(&docs, chart, &values, config, today))
}

fn check_chart_path(chart: &Path) -> Result<()> {
    if chart.is_dir() {
        if !chart.join("Chart.yaml").is_file() {
            return Err(Error::in_file(chart, "not a chart: no Chart.yaml in this directory"));
        }
        read_chart_yaml(chart).ok_or_else(|| Error::in_file(&chart.join("Chart.yaml"), "Chart.yaml does not parse or has no name"))?;
        return Ok(());
    }
    if chart.is_file() {
        return Ok(()); // a packaged chart: helm reads it
    }
    Err(Error::in_file(chart, "chart not found"))
}

fn read_manifests(path: &Path, max: usize) -> Result<String> {
    let mut bytes = Vec::new();
    let limit = max as u64 + 1;
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    let name = if path == Path::new("-") { Path::new("<stdin>") } else { path };
    read.map_err(|e| Error::in_file(name, format!("cannot read manifests: {}", values::io_reason(&e))))?;
    if bytes.len() > max {
        return Err(Error::in_file(name, format!("manifests exceed the {} MiB limit (raise it with --max-render-mb)", max / (1024 * 1024))));
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        Error::at(name, line, 1, "manifests are not UTF-8")
    })
}

/// `gatewayProxies` keys from the chart's values and the user's files, to name proxies the way
/// the values do.
fn proxy_keys(chart_dir: Option<&Path>, prefix: &str, files: &[ValuesFile]) -> Vec<String> {
    let mut keys = Vec::new();
    let mut add = |root: &crate::yaml::Node, path: &str| {
        if let Some(node) = root.path(path) {
            keys.extend(node.entries().iter().map(|e| e.key.clone()));
        }
    };
    let path = format!("{prefix}gatewayProxies");
    let path = path.trim_start_matches('.');
    if let Some(dir) = chart_dir {
        for (file, p) in [(dir.join("values.yaml"), path.to_string()), (dir.join("charts/gloo/values.yaml"), "gatewayProxies".to_string())] {
            if let Ok(text) = std::fs::read_to_string(&file) {
                if let Ok(parsed) = crate::yaml::parse_one(&text, 1) {
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
