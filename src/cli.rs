//! The command line: a thin layer over render → parse → check → report.

use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::harden;
use crate::pipeline::{self, Inputs};
use crate::report;
use crate::rules::{self, Severity};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "helm-harden",
    version,
    about = "Gate Helm changes to the Gloo Edge gateway: render the chart, check every production-hardening point, and point at the values line that fixes each failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart with your values and check every hardening point.
    Check(CheckArgs),
    /// Print the values overlay that fixes what values can fix.
    Overlay(OverlayArgs),
    /// Render with and without the hardened overlay and compare, resource by resource.
    Diff(DiffArgs),
    /// List the rules, or explain one (`helm-harden rules GLOO-001`).
    Rules(RulesArgs),
    /// Check, then review the pull request (GitHub Actions): inline comments with one-click
    /// fixes and one summary comment kept up to date.
    ///
    /// Reads what a GitHub Actions job sets: GITHUB_EVENT_PATH (the pull_request event),
    /// GITHUB_REPOSITORY, the token in GITHUB_TOKEN (or the variable --token-env names),
    /// GITHUB_API_URL (default https://api.github.com; GitHub Enterprise Server's API URL) and,
    /// for links to the run, GITHUB_SERVER_URL and GITHUB_RUN_ID.
    Review(crate::github::command::ReviewArgs),
    /// The local gate: check what changed files affect (pre-commit), install the git hook.
    Hook(HookArgs),
    /// Find charts and values files here and print (or --write) a config, a GitHub workflow
    /// and a pre-commit entry.
    Init(InitArgs),
    /// Write the fixes into your own values files (the edits a review suggests), then check
    /// again and say what is fixed and what is left.
    Fix(FixArgs),
    /// Record the failures of every target (check's flags) as known: `check --baseline FILE`
    /// and `hook run --baseline FILE` then tell new failures from these.
    Baseline(BaselineArgs),
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Fix only failures of this severity or higher (default: every failure).
    #[arg(long, value_enum)]
    pub severity: Option<FailOn>,
    /// Print the diff of each file it would change; change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Exit 1 when a failure of this severity or higher is left (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Write the baseline to FILE instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Replace FILE when it exists.
    #[arg(long, requires = "write")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Check only the targets that FILES (as pre-commit passes them) affect; exit 0 at once when
    /// none is relevant.
    Run(HookRunArgs),
    /// Install the plain git pre-commit hook (into core.hooksPath when set); never overwrites.
    Install,
}

#[derive(Debug, Args)]
pub struct HookRunArgs {
    /// Changed files, relative to the repository root (the current directory).
    pub files: Vec<PathBuf>,
    /// Judge the staged content: the changed files and the tree come from the git index.
    #[arg(long, conflicts_with = "files")]
    pub staged: bool,
    /// Exit 1 when a failure of this severity or higher remains (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Namespace to render into.
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Config file (default: `.helm-harden.yaml` in the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// helm binary (default: $HELM_BIN, then PATH).
    #[arg(long, value_name = "PATH")]
    pub helm: Option<PathBuf>,
    /// Kill helm (and its children) after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,
    /// Always run helm: neither read nor write the render cache.
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Render cache directory (default: $XDG_CACHE_HOME/helm-harden, else ~/.cache/helm-harden).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Size cap of the render cache, in MiB; least recently used renders go first.
    #[arg(long = "cache-max-mb", value_name = "MIB", default_value_t = crate::cache::DEFAULT_MAX_MB)]
    pub cache_max_mb: u64,
    /// Mark each failure new or known against this baseline (`helm-harden baseline --write`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for new failures (at or above `--fail-on`): those the baseline does not have.
    #[arg(long = "fail-on-new", requires = "baseline")]
    pub fail_on_new: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Create the files instead of printing them; an existing file is never replaced.
    #[arg(long)]
    pub write: bool,
    /// The GitHub repository of the helm-harden action and hooks (`owner/name`).
    #[arg(long, value_name = "OWNER/NAME", default_value = crate::init::DEFAULT_REPO)]
    pub repo: String,
}

/// Chart, values and helm arguments, in helm's own terms.
// Each bool is an on/off command-line flag, as clap parses it; no state machine hides in them.
#[allow(clippy::struct_excessive_bools)]
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
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Check a pre-rendered manifest stream instead of running helm (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub manifests: Option<PathBuf>,
    /// Largest render accepted, in MiB.
    #[arg(long = "max-render-mb", value_name = "MIB", default_value_t = 512, value_parser = parse_mib)]
    pub max_render_mb: usize,
    /// Config file (default: `.helm-harden.yaml` found upward from the current directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Targets rendered at once (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Let helm fetch the chart's dependencies before rendering (off: nothing is downloaded).
    #[arg(long = "dependency-update")]
    pub dependency_update: bool,
    /// Always run helm: neither read nor write the render cache.
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Render cache directory (default: $XDG_CACHE_HOME/helm-harden, else ~/.cache/helm-harden).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Size cap of the render cache, in MiB; least recently used renders go first.
    #[arg(long = "cache-max-mb", value_name = "MIB", default_value_t = crate::cache::DEFAULT_MAX_MB)]
    pub cache_max_mb: u64,
    /// Render the chart's CRDs too (`helm template --include-crds`), for GLOO-008.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Check a render that no rule applies to (no Gloo in it) instead of refusing it (exit 2).
    #[arg(long = "allow-no-gloo")]
    pub allow_no_gloo: bool,
    /// Run only these rules: an ID or a glob (`ENVOY-01*`); repeatable, or comma-separated.
    #[arg(long = "rule", value_name = "ID", value_delimiter = ',')]
    pub rule: Vec<String>,
    /// Leave these rules out: an ID or a glob (`ENVOY-01*`); repeatable, or comma-separated.
    #[arg(long = "skip-rule", value_name = "ID", value_delimiter = ',')]
    pub skip_rule: Vec<String>,
}

/// `--max-render-mb`: at least 1 (0 would refuse every render).
fn parse_mib(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl ChartArgs {
    /// `-j`, else the number of cores.
    pub fn jobs_at_once(&self) -> usize {
        self.jobs.unwrap_or_else(pipeline::default_jobs).max(1)
    }

    /// The config (`--config`, else found upward from `cwd`) with `--rule`/`--skip-rule`
    /// applied.
    pub fn config(&self, cwd: &Path) -> Result<Config> {
        let mut config = Config::discover(self.config.as_deref(), cwd)?;
        config.select_rules(&self.rule, &self.skip_rule)?;
        Ok(config)
    }

    pub fn inputs(&self) -> Inputs {
        Inputs {
            chart: self.chart.clone(),
            values: self.values.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            namespace: self.namespace.clone(),
            release: self.release.clone(),
            kube_version: self.kube_version.clone(),
            helm: self.helm.clone(),
            timeout_secs: self.timeout,
            manifests: self.manifests.clone(),
            max_render_mb: self.max_render_mb,
            dependency_update: self.dependency_update,
            cache: crate::cache::CacheSettings::resolve(
                self.cache_dir.as_deref(),
                self.no_cache,
                self.cache_max_mb,
            ),
            include_crds: self.include_crds,
            allow_no_gloo: self.allow_no_gloo,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions annotations (workflow commands); also writes the job summary.
    Github,
    /// JUnit XML: one test case per rule and object.
    Junit,
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
pub enum GroupBy {
    Object,
    Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // one field per switch of the command line
pub struct CheckArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also report passes, NA (with the reason) and advisories.
    #[arg(long, conflicts_with = "quiet")]
    pub all: bool,
    /// Text output: only the failures at or above --fail-on, and the counts (warnings go to
    /// stderr).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Text output: one block per object (default), or per rule listing its objects.
    #[arg(long = "group-by", value_enum, default_value_t = GroupBy::Object)]
    pub group_by: GroupBy,
    /// Exit 1 when a failure of this severity or higher remains (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Add the diff of the render with the hardened overlay to the report.
    #[arg(long)]
    pub diff: bool,
    /// Check only the values files and --set keys against the chart's values schema
    /// (VALUES-*): no render, no helm needed. For an editor or a fast hook.
    #[arg(long = "values-only", conflicts_with = "diff")]
    pub values_only: bool,
    /// Also check every target at this git revision (its chart and values files as they are
    /// there, read with `git archive`; the work tree is not touched) and mark each failure new
    /// or existing, listing the ones the change fixes.
    #[arg(long, value_name = "REF", conflicts_with = "values_only")]
    pub base: Option<String>,
    /// Mark each failure new or known against this baseline file (`helm-harden baseline
    /// --write FILE`), where no base commit applies.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["base", "values_only"])]
    pub baseline: Option<PathBuf>,
    /// Exit 1 only for new failures (at or above `--fail-on`): those `--base` or `--baseline`
    /// does not have.
    #[arg(long = "fail-on-new")]
    pub fail_on_new: bool,
    #[command(flatten)]
    pub diff_flags: DiffFlags,
    #[command(flatten)]
    pub github: GithubFlags,
}

/// Outputs for GitHub, besides `--format sarif|github`.
#[derive(Debug, Args, Clone, Default)]
pub struct GithubFlags {
    /// Also write the report as SARIF 2.1.0 to FILE (replaced atomically).
    #[arg(long = "sarif-file", value_name = "FILE")]
    pub sarif_file: Option<PathBuf>,
    /// Append the job summary to $GITHUB_STEP_SUMMARY whatever the format (`--format github`
    /// always does when it is set).
    #[arg(long = "step-summary")]
    pub step_summary: bool,
}

/// Which overlay `overlay` and `diff` apply.
#[derive(Debug, Args, Clone, Default)]
pub struct OverlayFlags {
    /// Use this overlay (repeatable) instead of the generated one.
    #[arg(long = "overlay", value_name = "FILE")]
    pub overlay: Vec<PathBuf>,
    /// Apply the --overlay files on top of the generated overlay instead of replacing it.
    #[arg(long = "overlay-add", requires = "overlay")]
    pub overlay_add: bool,
}

#[derive(Debug, Args)]
pub struct OverlayArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    #[command(flatten)]
    pub overlay: OverlayFlags,
    /// The full hardened overlay (every fix for every proxy), not only what failures need.
    #[arg(long)]
    pub all: bool,
    /// Write the overlay to FILE instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Let --write replace an existing file.
    #[arg(long, requires = "write")]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// How `diff` (and `check --diff`) compares.
#[derive(Debug, Args, Clone)]
pub struct DiffFlags {
    /// Lines of context around each change.
    #[arg(short = 'C', long, value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Print Secret values (redacted by default).
    #[arg(long = "show-secrets")]
    pub show_secrets: bool,
    /// Leave out annotations whose key matches REGEX (repeatable), e.g. `checksum/.*`.
    #[arg(long = "suppress-annotation", value_name = "REGEX")]
    pub suppress_annotation: Vec<String>,
}

impl DiffFlags {
    fn options(&self) -> Result<crate::diff::DiffOptions> {
        let suppress_annotations = self
            .suppress_annotation
            .iter()
            .map(|r| {
                regex::Regex::new(r).map_err(|e| {
                    Error::new(format!(
                        "--suppress-annotation {r}: {}",
                        e.to_string().lines().last().unwrap_or("invalid regex")
                    ))
                })
            })
            .collect::<Result<_>>()?;
        Ok(crate::diff::DiffOptions {
            context: self.context,
            show_secrets: self.show_secrets,
            suppress_annotations,
        })
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    #[command(flatten)]
    pub overlay: OverlayFlags,
    #[command(flatten)]
    pub diff: DiffFlags,
    /// Diff against the full hardened overlay, not only what failures need.
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when there are differences, 0 when there are none (2 on error).
    #[arg(long = "exit-code")]
    pub exit_code: bool,
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// First show what the change does to the render: each target rendered at this git
    /// revision (read with `git archive`; the work tree is not touched) against the work tree.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
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
        Err(e)
            if e.use_stderr()
                && e.kind() != clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            // A usage mistake is an error like any other: one line, exit 2.
            let rendered = e.render().to_string();
            let lines: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            let text = lines.join(" ");
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            eprintln!("error: {} (see --help)", crate::report::escape::terminal(text));
            return 2;
        }
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
        Command::Overlay(args) => overlay_command(args),
        Command::Diff(args) => diff_command(args),
        Command::Baseline(args) => baseline_command(args),
        Command::Fix(args) => fix_command(args),
        Command::Review(args) => crate::github::command::run(args),
        Command::Hook(HookArgs { command: HookCommand::Run(args) }) => hook_run_command(args),
        Command::Hook(HookArgs { command: HookCommand::Install }) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
            let path = crate::hook::install(&cwd)?;
            println!("installed {}", path.display());
            Ok(0)
        }
        Command::Init(args) => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
            let files = crate::init::generate(&cwd, &args.repo)?;
            if args.write {
                for line in crate::init::write(&cwd, &files)? {
                    println!("{line}");
                }
            } else {
                print_out(&crate::init::to_text(&files))?;
            }
            Ok(0)
        }
    }
}

fn rules_command(args: RulesArgs) -> Result<i32> {
    let text = match (&args.id, args.format) {
        (Some(id), format) => {
            let rule = rules::find(id).ok_or_else(|| {
                Error::new(format!("unknown rule ID {id} (see `helm-harden rules`)"))
            })?;
            match format {
                RulesFormat::Text => crate::docs::explain(rule),
                RulesFormat::Markdown => crate::docs::explain_markdown(rule),
            }
        }
        (None, RulesFormat::Text) => crate::docs::list(),
        (None, RulesFormat::Markdown) => crate::docs::markdown_table(),
    };
    print_out(&text)?;
    Ok(0)
}

fn print_out(text: &str) -> Result<()> {
    write_out(|out| out.write_all(text.as_bytes()))
}

/// Writes to stdout through a buffer; a closed pipe (`| head`) is not an error worth a message.
fn write_out(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(format!("cannot write output: {e}"))),
    }
}

fn use_color(choice: Color) -> bool {
    match choice {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Config, today's date and the jobs for a command.
fn setup(chart: &ChartArgs) -> Result<(Config, String, Vec<pipeline::Job>)> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    let config = chart.config(&cwd)?;
    let jobs = pipeline::plan(&chart.inputs(), &config, &cwd)?;
    Ok((config, config::today(), jobs))
}

/// The files a run reads (values, `--overlay`, config and `--manifests` files), which a file it
/// writes must never replace.
fn run_inputs<'a>(
    config: &'a Config,
    jobs: &'a [pipeline::Job],
    overlays: &'a [PathBuf],
) -> Vec<&'a Path> {
    let job_files = jobs.iter().flat_map(|job| job.request.values.iter().chain(&job.manifests));
    job_files.chain(overlays).chain(&config.path).map(PathBuf::as_path).collect()
}

fn overlay_choice(flags: &OverlayFlags, all: bool) -> harden::OverlayChoice {
    harden::OverlayChoice {
        user: flags.overlay.clone(),
        add_to_generated: flags.overlay_add,
        full: all,
    }
}

fn overlay_command(args: OverlayArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    if args.write.is_some() && jobs.len() > 1 {
        return Err(Error::new("--write takes one target; give a CHART"));
    }
    let choice = overlay_choice(&args.overlay, args.all);
    let overlays = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        let base = pipeline::run_job(job, &config, &today)?;
        let overlay = harden::build_overlay(&base, &choice, &config)?;
        let mut header = harden::overlay_header(&base, &overlay, &choice);
        if let Some(label) = &job.label {
            header.insert(0, format!("target {label}"));
        }
        Ok((overlay.to_yaml(&header), header))
    })?;
    let text: String = overlays.iter().map(|(yaml, _)| yaml.as_str()).collect();
    match &args.write {
        Some(path) => {
            let inputs = run_inputs(&config, &jobs, &args.overlay.overlay);
            crate::overlay::write_new(path, &text, args.force, &inputs)?;
            // Say what was written, and how to use it: a silent success leaves the user to
            // open the file to learn whether anything was fixed.
            let what: Vec<&str> = overlays
                .iter()
                .flat_map(|(_, header)| header.iter().map(String::as_str))
                .filter(|line| !line.starts_with("Apply it"))
                .collect();
            println!(
                "wrote {}: {}\napply it after your own values: helm ... -f <your values> -f {}",
                path.display(),
                report::escape::terminal(&what.join(" ")),
                path.display()
            );
        }
        None => print_out(&text)?,
    }
    Ok(0)
}

fn diff_command(args: DiffArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let choice = overlay_choice(&args.overlay, args.all);
    let opts = args.diff.options()?;
    let base = match &args.base {
        Some(rev) => Some(crate::compare::base_tree(rev, &jobs)?),
        None => None,
    };
    let results = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        // The base render goes out with the head's two.
        let (hardening, change) = std::thread::scope(|s| {
            let change = base.as_ref().map(|(tree, cwd)| {
                s.spawn(|| {
                    crate::compare::check_base((tree, cwd), job, (&config, &today), true)
                        .map(|base| base.docs)
                })
            });
            let hardening = harden::harden(job, &choice, &config, &today, &opts);
            let change = change
                .map(|h| h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed"))));
            (hardening, change)
        });
        let hardening = hardening?;
        let change = match change {
            Some(base_docs) => {
                Some(crate::diff::diff_renders(&base_docs?, &hardening.base.docs, &opts))
            }
            None => None,
        };
        Ok((job.label.clone(), hardening, change))
    })?;
    let since = base.as_ref().map(|(tree, _)| tree.name.as_str()).unwrap_or_default();
    let output = match args.format {
        DiffFormat::Text => results
            .iter()
            .map(|(label, h, change)| {
                let head = label.as_ref().map(|l| format!("== {l} ==\n")).unwrap_or_default();
                let change = change.as_ref().map_or(String::new(), |diffs| {
                    format!(
                        "Change since {since}:\n\n{}\nDiff with the hardened overlay:\n\n",
                        crate::diff::render_text(diffs, use_color(args.color))
                    )
                });
                format!(
                    "{head}{change}{}\n{}",
                    crate::diff::render_text(&h.diffs, use_color(args.color)),
                    harden::proof_text(h)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        DiffFormat::Markdown => results
            .iter()
            .map(|(_, h, change)| {
                let change = change.as_ref().map_or(String::new(), |diffs| {
                    format!(
                        "### Change since {}\n\n{}\n### Diff with the hardened overlay\n\n",
                        report::markdown_escape(since),
                        crate::diff::render_markdown(diffs)
                    )
                });
                format!(
                    "{change}{}\n{}",
                    crate::diff::render_markdown(&h.diffs),
                    harden::proof_markdown(h)
                )
            })
            .collect(),
        DiffFormat::Json => {
            let docs: Vec<serde_json::Value> = results
                .iter()
                .map(|(label, h, change)| {
                    let mut doc = harden::to_json(label.as_deref(), h);
                    if let Some(diffs) = change {
                        doc["change"] = serde_json::json!({"base": since, "resources": diffs});
                    }
                    doc
                })
                .collect();
            let value = match docs.as_slice() {
                [one] => one.clone(),
                _ => serde_json::json!({"version": 1, "reports": docs}),
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    };
    let output =
        if args.format == DiffFormat::Json { report::escape::json_text(output) } else { output };
    print_out(&output)?;
    let changed = results.iter().any(|(_, h, _)| !h.diffs.is_empty());
    Ok(i32::from(args.exit_code && changed))
}

fn check_command(args: CheckArgs) -> Result<i32> {
    if args.fail_on_new && args.base.is_none() && args.baseline.is_none() {
        return Err(Error::new(
            "--fail-on-new needs --base REF or --baseline FILE: what is new is told against one",
        ));
    }
    // An input of the run: no file it writes (--sarif-file) may replace it.
    let baseline_inputs: Vec<PathBuf> = args.baseline.iter().cloned().collect();
    let (config, today, jobs) = setup(&args.chart)?;
    let at_once = args.chart.jobs_at_once();
    // `--base`: each target's base render goes out with its head's (two with `--diff`).
    let base_tree = match &args.base {
        Some(rev) => Some(crate::compare::base_tree(rev, &jobs)?),
        None => None,
    };
    let mut bases = Vec::new();
    let (reports, hardenings) = if args.values_only {
        (
            pipeline::map_jobs(&jobs, at_once, |job| {
                pipeline::check_values_only(job, &config, &today)
            })?,
            Vec::new(),
        )
    } else if args.diff {
        // One pass: the base check comes from the same render the diff starts from.
        let options = args.diff_flags.options()?;
        let choice = overlay_choice(&OverlayFlags::default(), false);
        let both = pipeline::map_jobs(&jobs, at_once, |job| {
            std::thread::scope(|s| {
                let base = base_tree.as_ref().map(|(tree, cwd)| {
                    s.spawn(|| {
                        crate::compare::check_base((tree, cwd), job, (&config, &today), true)
                    })
                });
                let hardening = harden::harden(job, &choice, &config, &today, &options)?;
                let base = base
                    .map(|h| {
                        h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed")))
                    })
                    .transpose()?;
                Ok((hardening, base))
            })
        })?;
        let mut hardenings = Vec::new();
        for (hardening, base) in both {
            hardenings.push(hardening);
            bases.extend(base);
        }
        (hardenings.iter().map(|h| h.base.report.clone()).collect(), hardenings)
    } else {
        let both = pipeline::map_jobs(&jobs, at_once, |job| {
            std::thread::scope(|s| {
                let base = base_tree.as_ref().map(|(tree, cwd)| {
                    s.spawn(|| {
                        crate::compare::check_base((tree, cwd), job, (&config, &today), false)
                    })
                });
                let report = pipeline::run_job(job, &config, &today)?.into_report();
                let base = base
                    .map(|h| {
                        h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed")))
                    })
                    .transpose()?;
                Ok((report, base))
            })
        })?;
        let mut reports = Vec::new();
        for (report, base) in both {
            reports.push(report);
            bases.extend(base);
        }
        (reports, Vec::new())
    };
    let mut reports = reports;
    if let Some((tree, _)) = &base_tree {
        for (i, (report, mut base)) in reports.iter_mut().zip(bases).enumerate() {
            let base_docs = std::mem::take(&mut base.docs);
            crate::compare::compare_with(report, base, &tree.name);
            if let (Some(h), Some(comparison)) = (hardenings.get(i), report.comparison.as_mut()) {
                comparison.change = crate::diff::diff_renders(
                    &base_docs,
                    &h.base.docs,
                    &crate::diff::DiffOptions::default(),
                );
            }
        }
    }
    compare_with_baseline(&mut reports, args.baseline.as_deref())?;
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    if args.format == Format::Json && hardenings.is_empty() {
        // Streamed: a report of a very large render is never held in memory as text.
        write_github_outputs(
            &args,
            &reports,
            &hardenings,
            &run_inputs(&config, &jobs, &baseline_inputs),
        )?;
        print_warnings(args.format, args.quiet, &reports);
        write_out(|out| report::json::write(out, &reports, args.all))?;
        let failing = crate::compare::gate(&reports, threshold, args.fail_on_new);
        return Ok(i32::from(failing > 0));
    }
    let output = match args.format {
        Format::Json => {
            let mut docs: Vec<serde_json::Value> =
                reports.iter().map(|r| report::json::report_value(r, args.all)).collect();
            for (doc, h) in docs.iter_mut().zip(&hardenings) {
                doc["diff"] = harden::to_json(None, h);
            }
            let value = match docs.as_slice() {
                [one] => one.clone(),
                _ => serde_json::json!({"version": 1, "reports": docs}),
            };
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
        Format::Text => {
            let mut text = report::text::render(
                &reports,
                args.all,
                report::text::Style {
                    color: use_color(args.color),
                    quiet: args.quiet.then_some(threshold),
                    by_rule: args.group_by == GroupBy::Rule,
                },
            );
            for (h, report) in hardenings.iter().zip(&reports) {
                if let Some(c) = report.comparison.as_ref().filter(|c| !c.change.is_empty()) {
                    text.push_str(&format!("Change since {}:\n\n", report::text::clean(&c.base)));
                    text.push_str(&crate::diff::render_text(&c.change, use_color(args.color)));
                    text.push('\n');
                }
                text.push_str("Diff with the hardened overlay:\n\n");
                text.push_str(&crate::diff::render_text(&h.diffs, use_color(args.color)));
                text.push('\n');
                text.push_str(&harden::proof_text(h));
            }
            text
        }
        Format::Sarif => report::sarif::render(&reports),
        Format::Github => report::github::render(&reports),
        Format::Junit => report::junit::render(&reports),
    };
    let output =
        if args.format == Format::Json { report::escape::json_text(output) } else { output };
    write_github_outputs(
        &args,
        &reports,
        &hardenings,
        &run_inputs(&config, &jobs, &baseline_inputs),
    )?;
    print_warnings(args.format, args.quiet, &reports);
    print_out(&output)?;
    let failing = crate::compare::gate(&reports, threshold, args.fail_on_new);
    Ok(i32::from(failing > 0))
}

/// `--baseline FILE`: each report against its target's known failures.
fn compare_with_baseline(
    reports: &mut [crate::check::CheckReport],
    file: Option<&Path>,
) -> Result<()> {
    let Some(file) = file else { return Ok(()) };
    let baseline = crate::baseline::Baseline::load(file)?;
    let name = format!("baseline {}", file.display());
    for report in reports {
        baseline.compare(report, &name);
    }
    Ok(())
}

fn fix_command(args: FixArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let min = args.severity.map_or(Severity::Info, Severity::from);
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let mut out = String::new();
    let mut left_at_threshold = 0;
    // One target after another: targets that share a values file see each other's edits.
    for job in &jobs {
        let fixed = crate::fix::fix_job(job, (&config, &today), min)?;
        if let Some(label) = &job.label {
            out.push_str(&format!("== {label} ==\n"));
        }
        for (path, before, after) in &fixed.changes {
            out.push_str(&crate::fix::unified_diff(path, before, after));
            if !args.dry_run {
                crate::output::write_atomically(path, after, "cannot write the fixed values", &[])?;
            }
        }
        let (gone, left) = crate::fix::fixed_and_left(&fixed, min);
        let verb = if args.dry_run { "would fix" } else { "fixed" };
        let files = fixed.changes.len();
        out.push_str(&format!(
            "{verb} {} failure(s) in {files} file(s){}\n",
            gone.len(),
            if files == 0 { " (nothing a values line can fix)" } else { "" }
        ));
        for line in &gone {
            out.push_str(&format!("  {verb}: {}\n", report::text::clean(line)));
        }
        if !left.is_empty() {
            out.push_str(&format!("left {} failure(s):\n", left.len()));
            for line in &left {
                out.push_str(&format!("  left: {}\n", report::text::clean(line)));
            }
        }
        for (rule, object, flag) in &fixed.set_by_flag {
            out.push_str(&format!(
                "  {rule} {object}: its key is set by {flag}; not edited\n",
                flag = report::text::clean(flag)
            ));
        }
        left_at_threshold += fixed.after.failing_at(threshold);
    }
    print_out(&out)?;
    Ok(i32::from(left_at_threshold > 0))
}

fn baseline_command(args: BaselineArgs) -> Result<i32> {
    let (config, today, jobs) = setup(&args.chart)?;
    let reports = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        Ok(pipeline::run_job(job, &config, &today)?.into_report())
    })?;
    let text = crate::baseline::Baseline::of(&reports).to_json();
    match &args.write {
        Some(path) => {
            crate::overlay::write_new(path, &text, args.force, &run_inputs(&config, &jobs, &[]))?;
            let count: usize = reports.iter().map(|r| r.failing_at(Severity::Info)).sum();
            eprintln!("wrote {} ({count} known failure(s))", path.display());
        }
        None => print_out(&text)?,
    }
    Ok(0)
}

/// The warnings (a suppression that matched nothing) of formats that do not show them: JSON,
/// SARIF and JUnit keep stdout for the document, so each warning is one line on stderr, once however
/// many targets share the config. Text prints them after the reports (on stderr with
/// `--quiet`), github as annotations.
fn print_warnings(format: Format, quiet: bool, reports: &[crate::check::CheckReport]) {
    if matches!(format, Format::Json | Format::Sarif | Format::Junit)
        || (quiet && format == Format::Text)
    {
        for w in report::warnings(reports) {
            eprintln!("warning: {}", report::escape::terminal(&w.to_string()));
        }
    }
}

/// `--sarif-file` and the job summary, written before anything is printed so that a failure
/// to write them exits 2 with nothing on stdout.
/// `inputs`: the files the run read, which the SARIF file must not replace.
fn write_github_outputs(
    args: &CheckArgs,
    reports: &[crate::check::CheckReport],
    hardenings: &[harden::Hardening],
    inputs: &[&Path],
) -> Result<()> {
    if let Some(path) = &args.github.sarif_file {
        report::sarif::write_file(path, &report::sarif::render(reports), inputs)?;
    }
    if args.format == Format::Github || args.github.step_summary {
        match std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) {
            Some(path) => {
                report::summary::append(std::path::Path::new(&path), reports, hardenings)?;
            }
            None if args.github.step_summary => eprintln!(
                "warning: --step-summary: $GITHUB_STEP_SUMMARY is not set; no job summary written"
            ),
            None => {}
        }
    }
    Ok(())
}

/// `hook run`: map the changed (or staged) files to targets and check only those.
fn hook_run_command(args: HookRunArgs) -> Result<i32> {
    // The staged tree must outlive the checks: it is where they read the files.
    let staged = if args.staged { crate::hook::export_staged()? } else { None };
    let files = match &staged {
        Some(tree) => {
            std::env::set_current_dir(tree.dir.path())
                .map_err(|e| Error::new(format!("cannot enter the staged tree: {e}")))?;
            tree.files.clone()
        }
        None if args.staged => return Ok(0), // nothing staged
        None => {
            let mut files = args.files.clone();
            for deleted in crate::hook::staged_deletions() {
                if !files.contains(&deleted) {
                    files.push(deleted);
                }
            }
            files
        }
    };
    let root = std::path::Path::new(".");
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None if root.join(config::FILE_NAME).is_file() => {
            Config::load(std::path::Path::new(config::FILE_NAME))?
        }
        None => Config::default(),
    };
    let inputs = Inputs {
        namespace: args.namespace.clone(),
        helm: args.helm.clone(),
        timeout_secs: args.timeout,
        max_render_mb: 512,
        cache: crate::cache::CacheSettings::resolve(
            args.cache_dir.as_deref(),
            args.no_cache,
            args.cache_max_mb,
        ),
        // Without targets, every chart of the repository whose files changed is a candidate,
        // Gloo or not (an app chart beside it): one without Gloo is left out with a note below,
        // not refused. A target the config names must render Gloo.
        allow_no_gloo: config.targets.is_empty(),
        ..Inputs::default()
    };
    let plan = crate::hook::plan_changed(&files, &config, root, &inputs)?;
    for note in &plan.notes {
        eprintln!("helm-harden: {note}");
    }
    if plan.jobs.is_empty() {
        return Ok(0);
    }
    let today = config::today();
    let mut reports = Vec::new();
    for job in &plan.jobs {
        let report = pipeline::run_job(job, &config, &today)?.into_report();
        if !report.applies {
            let chart = job.chart.as_deref().unwrap_or(Path::new(".")).display().to_string();
            let what = job.label.clone().unwrap_or(chart);
            eprintln!("helm-harden: {what}: no hardening rule applies to its render (no Gloo in it); not checked");
            continue;
        }
        reports.push(report);
    }
    if reports.is_empty() {
        return Ok(0);
    }
    compare_with_baseline(&mut reports, args.baseline.as_deref())?;
    print_out(&report::text::render(
        &reports,
        false,
        report::text::Style { color: use_color(args.color), ..Default::default() },
    ))?;
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let failing = crate::compare::gate(&reports, threshold, args.fail_on_new);
    Ok(i32::from(failing > 0))
}
