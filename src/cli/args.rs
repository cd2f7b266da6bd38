//! The command line's clap types: every command's arguments, the shared flags declared once
//! and flattened where they are used.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::pipeline::{self, Inputs};
use crate::rules::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    // The doc comment is the command's --help text: its URL stays bare there.
    #[allow(rustdoc::bare_urls)]
    /// Check, then review the pull request (GitHub Actions): inline comments with one-click
    /// fixes and one summary comment kept up to date.
    ///
    /// Reads what a GitHub Actions job sets: GITHUB_EVENT_PATH (the pull_request event),
    /// GITHUB_REPOSITORY, the token in GITHUB_TOKEN (or the variable --token-env names),
    /// GITHUB_API_URL (default https://api.github.com; GitHub Enterprise Server's API URL) and,
    /// for links to the run, GITHUB_SERVER_URL and GITHUB_RUN_ID.
    Review(ReviewArgs),
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
    #[command(flatten)]
    pub cache: CacheFlags,
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
    #[arg(long, value_name = "OWNER/NAME", default_value = crate::gate::init::DEFAULT_REPO)]
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
    #[command(flatten)]
    pub cache: CacheFlags,
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

/// The render cache's flags, the same for every command that renders.
#[derive(Debug, Args, Clone, Default)]
pub struct CacheFlags {
    /// Always run helm: neither read nor write the render cache.
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Render cache directory (default: $XDG_CACHE_HOME/helm-harden, else ~/.cache/helm-harden).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Size cap of the render cache, in MiB; least recently used renders go first.
    #[arg(long = "cache-max-mb", value_name = "MIB", default_value_t = crate::render::cache::DEFAULT_MAX_MB)]
    pub cache_max_mb: u64,
}

impl CacheFlags {
    pub fn settings(&self) -> Option<crate::render::cache::CacheSettings> {
        crate::render::cache::CacheSettings::resolve(
            self.cache_dir.as_deref(),
            self.no_cache,
            self.cache_max_mb,
        )
    }
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
            cache: self.cache.settings(),
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
    pub fn options(&self) -> Result<crate::harden::diff::DiffOptions> {
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
        Ok(crate::harden::diff::DiffOptions {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommentMode {
    /// A review with inline comments, and the summary comment.
    Review,
    /// Only the summary comment.
    Summary,
    /// Post nothing; exit by the findings.
    Off,
}

/// What `review` reports when the token cannot comment (a fork's pull request), besides its
/// one warning and a note in the job summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fallback {
    /// Print the findings as workflow annotations, as `check --format github` does (at most 10
    /// of each level).
    Annotations,
    /// Print no annotation: an earlier `check --format github` step of the job wrote the
    /// annotations and the job summary (as in the GitHub Action).
    JobSummary,
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // one field per switch of the command line
pub struct ReviewArgs {
    #[command(flatten)]
    pub chart: ChartArgs,
    /// Exit 1 when a failure of this severity or higher remains (default: the config's, else low).
    #[arg(long = "fail-on", value_enum)]
    pub fail_on: Option<FailOn>,
    /// What to post on the pull request.
    #[arg(long, value_enum, default_value_t = CommentMode::Review)]
    pub comment: CommentMode,
    /// When the token cannot comment (read-only, as on a fork's pull request): warn once, add a
    /// note to the job summary and, with `annotations`, annotate the findings; `job-summary`
    /// leaves that to an earlier `check --format github` step (the GitHub Action passes it, so
    /// no line is annotated twice).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Fallback::Annotations)]
    pub fallback: Fallback,
    /// Leave the diff with the hardened overlay out of the summary comment: one render per
    /// target instead of two (the GitHub Action passes it with `overlay: false`).
    #[arg(long = "no-diff")]
    pub no_diff: bool,
    /// Compare with this git revision (the pull request's base commit): each failure is marked
    /// new or existing, the summary lists new, fixed and existing apart, and shows what the
    /// change does to the render above the hardened overlay's diff.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Exit 1 only for new failures (at or above `--fail-on`).
    #[arg(long = "fail-on-new", requires = "base")]
    pub fail_on_new: bool,
    /// In a GitHub Actions job, do not append the summary to `$GITHUB_STEP_SUMMARY` (the
    /// GitHub Action passes it: its `check --format github` step writes the job summary).
    #[arg(long = "no-step-summary")]
    pub no_step_summary: bool,
    /// Environment variable that holds the token.
    #[arg(long = "token-env", value_name = "NAME", default_value = "GITHUB_TOKEN")]
    pub token_env: String,
    /// Log every GitHub request (method, route, status) on stderr. Never the token.
    #[arg(long)]
    pub verbose: bool,
}
