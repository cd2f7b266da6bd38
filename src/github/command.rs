//! `helm-harden review`: check like `check`, then review the pull request: one review with
//! an inline comment (and one-click suggestion) per finding on a changed values line, one
//! summary comment kept up to date, and a clean fallback when the token cannot write.

use super::client::{self, ApiError, Client};
use super::review::{self};
use super::PullRequest;
use crate::check::{Finding, Summary};
use crate::cli::args::{CommentMode, Fallback, ReviewArgs};
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::report::github::{self as annotations, Annotation, Level};
use crate::report::location::{self, Place};
use crate::rules::{Severity, Status};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use super::post::{post, Ctx};
use super::workspace::{repo_relative, repository_root};

/// A failure to report, with where its fix goes in the repository.
pub(super) struct Entry {
    pub(super) finding: Finding,
    /// Index of the report (target) it came from.
    pub(super) report: usize,
    pub(super) fingerprint: String,
    /// Repository-relative path of the values file the fix goes in.
    pub(super) repo_path: Option<String>,
    /// The values file's text, for the suggestion.
    pub(super) file_text: Option<String>,
}

impl Entry {
    pub(super) fn line(&self) -> Option<usize> {
        self.finding.fix.as_ref().and_then(|f| f.line)
    }

    pub(super) fn location(&self) -> Option<String> {
        let path = self.repo_path.as_ref()?;
        Some(match self.line() {
            Some(l) => format!("{path}:{l}"),
            None => path.clone(),
        })
    }
}

pub fn run(args: ReviewArgs) -> Result<i32> {
    let env = |k: &str| std::env::var(k).ok();
    // The PR and token first: a misconfigured workflow fails before a long render.
    let github =
        if args.comment == CommentMode::Off { None } else { Some(github_env(&args, &env)?) };
    let token = github.as_ref().map(|g| g.token.clone()).unwrap_or_default();
    let scrub = |e: Error| Error::new(client::sanitise(e.message(), &token));
    review(args, github, &env).map_err(scrub)
}

struct GithubEnv {
    pr: PullRequest,
    token: String,
    api_url: String,
}

fn github_env(args: &ReviewArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<GithubEnv> {
    let pr = PullRequest::from_env(env)?;
    let token = env(&args.token_env).filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        Error::new(format!(
            "{} is not set: give the job a token (`github-token`, or --token-env NAME)",
            args.token_env
        ))
    })?;
    let token = token.trim().to_string();
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        // Never echo it: say only what is wrong.
        return Err(Error::new(format!(
            "{} holds characters a token cannot have (spaces or control characters)",
            args.token_env
        )));
    }
    let api_url = env("GITHUB_API_URL")
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "https://api.github.com".into());
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(Error::new(format!("GITHUB_API_URL must be an http(s) URL, got {api_url:?}")));
    }
    Ok(GithubEnv { pr, token, api_url })
}

fn review(
    args: ReviewArgs,
    github: Option<GithubEnv>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<i32> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    let config = args.chart.config(&cwd)?;
    let jobs = pipeline::plan(&args.chart.inputs(), &config, &cwd)?;
    let today = config::today();
    let mut reports = Vec::new();
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut diffs = String::new();
    let base = args.base.as_deref().map(|rev| crate::gate::compare::LazyBaseTree::new(rev, &jobs));
    let with_diff = github.is_some() && !args.no_diff;
    // Every target's renders go out at once (up to -j targets): the base's with the head's two.
    let at_once = args.chart.jobs_at_once();
    let renders = pipeline::renders_at_once(jobs.len(), at_once, 2 + usize::from(base.is_some()));
    let pairs = with_diff && crate::render::pair::worth_pairing(renders);
    // What GitHub and the repository say that the findings do not change goes on a thread of
    // its own while helm renders.
    let prepared = github.as_ref().map(|github| prepare(github, &args, &cwd, env, pairs));
    let checked = pipeline::map_jobs(&jobs, at_once, |job| {
        std::thread::scope(|s| {
            let base_side = base.as_ref().map(|lazy| {
                s.spawn(|| {
                    crate::render::pair::yield_to_pair(pairs);
                    crate::gate::compare::check_base(lazy.get()?, job, (&config, &today), with_diff)
                })
            });
            let checked = head_check(job, (&config, &today), with_diff, renders)?;
            let base_side = base_side
                .map(|h| h.join().unwrap_or_else(|_| Err(Error::new("the base render crashed"))))
                .transpose()?;
            Ok((checked, base_side))
        })
    })?;
    for (job, ((mut checked, hardened_diff), base_side)) in jobs.iter().zip(checked) {
        if let Some(label) = job.label.as_ref().filter(|_| with_diff) {
            diffs.push_str(&format!("**{}**\n\n", crate::escape::markdown(label)));
        }
        if let (Some(base_side), Some(lazy)) = (base_side, &base) {
            let (tree, _) = lazy.get()?;
            if with_diff {
                let change = crate::harden::diff::diff_change(
                    &base_side.docs,
                    &checked.docs,
                    &crate::harden::diff::DiffOptions::default(),
                );
                diffs.push_str(&format!(
                    "**Change since {}**\n\n{}\n**Diff with the hardened overlay**\n\n",
                    crate::escape::markdown(&tree.name),
                    crate::harden::diff::render_markdown(
                        &change,
                        crate::harden::diff::Between::Change
                    )
                ));
            }
            crate::gate::compare::compare_with(&mut checked.report, base_side, &tree.name);
        }
        diffs.push_str(&hardened_diff.unwrap_or_default());
        for f in &checked.values.files {
            texts.insert(f.path.display().to_string(), f.text.clone());
        }
        reports.push(checked.report);
    }
    let threshold: Severity =
        args.fail_on.map(Severity::from).or(config.fail_on).unwrap_or(Severity::Low);
    let failing = crate::gate::compare::gate(&reports, threshold, args.fail_on_new);
    let exit = i32::from(failing > 0);
    crate::report::output::print(&crate::report::text::render(
        &reports,
        false,
        crate::report::text::Style::default(),
    ))?;
    let (Some(github), Some(prepared)) = (github, prepared) else { return Ok(exit) };
    let Prepared { client, reads, top } =
        prepared.join().unwrap_or_else(|_| Err(Error::new("reading the pull request crashed")))?;
    if top.is_none() {
        eprintln!("warning: not in a git work tree nor under $GITHUB_WORKSPACE: findings cannot be placed on the pull request's lines and go to the summary comment");
    }
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for (index, report) in reports.iter().enumerate() {
        for f in
            report.findings.iter().filter(|f| f.status == Status::Fail && f.suppressed.is_none())
        {
            let fingerprint = review::fingerprint(f);
            if !seen.insert(fingerprint.clone()) {
                continue; // the same finding from another target or value set
            }
            let file = f.fix.as_ref().filter(|x| x.set.is_none()).and_then(|x| x.file.clone());
            let repo_path = file
                .as_deref()
                .zip(top.as_deref())
                .and_then(|(file, top)| repo_relative(&cwd, top, file));
            entries.push(Entry {
                finding: f.clone(),
                report: index,
                fingerprint,
                repo_path,
                file_text: file.and_then(|p| texts.get(&p).cloned()),
            });
        }
    }
    let checks = total(&reports);
    let run_url = match (env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID")) {
        (Some(s), Some(r), Some(id)) => {
            Some(format!("{}/{r}/actions/runs/{id}", s.trim_end_matches('/')))
        }
        _ => None,
    };
    let diff = (!diffs.is_empty()).then_some(diffs);
    let ctx = Ctx {
        client: &client,
        pr: &github.pr,
        entries: &entries,
        checks,
        threshold,
        run_url,
        diff,
        base: review::BaseSummary::of(&reports),
    };
    match post(&ctx, args.comment, reads) {
        Ok((done, summary)) => {
            eprintln!("{done}");
            if !args.no_step_summary && env("GITHUB_ACTIONS").as_deref() == Some("true") {
                let note = summary.unwrap_or_else(|| {
                    "\n### helm-harden review\n\nNo hardening failure to report.\n".into()
                });
                append_step_summary(env, &note);
            }
            Ok(exit)
        }
        Err(ApiError::ReadOnly) => {
            let repo = top.as_deref().map(|top| (cwd.as_path(), top));
            fallback(args.fallback, &reports, &entries, repo, env)?;
            Ok(exit)
        }
        Err(ApiError::Other(e)) => Err(e),
    }
}

/// What the review needs before it posts and can have before the findings: the client, what
/// it reads of the pull request ([`super::post::read`]) and the repository's top directory.
struct Prepared {
    client: Client,
    reads: super::post::Reads,
    top: Option<std::path::PathBuf>,
}

/// Starts [`Prepared`] on a thread of its own.
fn prepare(
    github: &GithubEnv,
    args: &ReviewArgs,
    cwd: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    beside_pair: bool,
) -> std::thread::JoinHandle<Result<Prepared>> {
    let retry_base = Duration::from_millis(
        env("HELM_HARDEN_RETRY_BASE_MS").and_then(|v| v.parse().ok()).unwrap_or(1000),
    );
    let (api_url, token, pr) = (github.api_url.clone(), github.token.clone(), github.pr.clone());
    let (verbose, mode, cwd) = (args.verbose, args.comment, cwd.to_path_buf());
    let workspace = env("GITHUB_WORKSPACE");
    std::thread::spawn(move || {
        crate::render::pair::yield_to_pair(beside_pair);
        let top = repository_root(&cwd, workspace.as_deref());
        let client = Client::new(&api_url, token, retry_base, verbose)?;
        let reads = super::post::read(&client, &pr, mode);
        Ok(Prepared { client, reads, top })
    })
}

/// The head's check of one target; with `with_diff`, as `check --diff` (one pass gives the
/// findings and the diff with the hardened overlay, as markdown) and its documents kept whole.
fn head_check(
    job: &pipeline::Job,
    (config, today): (&Config, &str),
    with_diff: bool,
    renders_at_once: usize,
) -> Result<(pipeline::Checked, Option<String>)> {
    if job.manifests.is_some() || !with_diff {
        return Ok((pipeline::run_job(job, config, today)?, None));
    }
    let h = crate::harden::harden(
        job,
        &crate::harden::OverlayChoice::default(),
        config,
        today,
        &crate::harden::diff::DiffOptions::default(),
        renders_at_once,
    )?;
    let diff =
        crate::harden::diff::render_markdown(&h.diffs, crate::harden::diff::Between::Hardened);
    Ok((h.base, Some(diff)))
}

/// What the fork warning says before the reason of each mode.
const READ_ONLY_WARNING: &str =
    "the GitHub token cannot comment on this pull request (read-only, as on a fork's pull request)";

/// The token cannot write (a fork's pull request): say so once (as a `::warning::` workflow
/// command in a GitHub Actions job, else a `warning:` line on stderr), report by `mode`, and
/// let the findings decide the exit code. `repo` is the working directory and the top of its
/// git work tree, to give annotations repository paths.
fn fallback(
    mode: Fallback,
    reports: &[crate::check::CheckReport],
    entries: &[Entry],
    repo: Option<(&Path, &Path)>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<()> {
    let warning = match mode {
        Fallback::Annotations => format!("{READ_ONLY_WARNING}: reporting through annotations and the job summary instead"),
        Fallback::JobSummary => format!("{READ_ONLY_WARNING}: the findings are in this job's annotations and job summary instead"),
    };
    let in_actions = env("GITHUB_ACTIONS").as_deref() == Some("true");
    let mut out = String::new();
    let mut already = Vec::new();
    if in_actions {
        // On stdout, before the annotations: the runner reads workflow commands there, and
        // this warning counts against the step's 10 warning annotations.
        out.push_str(&format!("::warning::{}\n", annotations::escape_data(&warning)));
        already.push(Level::Warning);
    } else {
        eprintln!("warning: {warning}");
    }
    if mode == Fallback::Annotations {
        let failures = entries
            .iter()
            .map(|e| {
                let report = &reports[e.report];
                let place = location::place(report, &e.finding).map(|p| {
                    match repo.and_then(|(cwd, top)| repo_relative(cwd, top, &p.file)) {
                        Some(file) => Place { file, line: p.line },
                        None => p,
                    }
                });
                Annotation { report, finding: &e.finding, place }
            })
            .collect();
        out.push_str(&annotations::annotate(failures, &already, "in this step's log"));
    }
    crate::report::output::print(&out)?;
    let findings = match entries.len() {
        1 => "The 1 finding is".to_string(),
        n => format!("The {n} findings are"),
    };
    let where_ = match mode {
        Fallback::Annotations => {
            format!("{findings} in this step's annotations (at most 10 of each level) and log.")
        }
        Fallback::JobSummary => {
            format!("{findings} in this job's annotations and in the job summary above.")
        }
    };
    append_step_summary(env, &format!("\n### helm-harden review\n\nThe token could not comment on this pull request (read-only, as on a fork's pull request). {where_}\n"));
    Ok(())
}

fn total(reports: &[crate::check::CheckReport]) -> Summary {
    let mut s = Summary { fail: 0, pass: 0, na: 0, advisory: 0, suppressed: 0 };
    for r in reports {
        s.fail += r.summary.fail;
        s.pass += r.summary.pass;
        s.na += r.summary.na;
        s.advisory += r.summary.advisory;
        s.suppressed += r.summary.suppressed;
    }
    s
}

/// Appends `text` to `$GITHUB_STEP_SUMMARY`, when it is set; a failure is a warning.
fn append_step_summary(env: &dyn Fn(&str) -> Option<String>, text: &str) {
    let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else { return };
    let write = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = write {
        eprintln!("warning: GITHUB_STEP_SUMMARY {path}: cannot append: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::post::{inline_candidates, overlapping_suggestions};
    use crate::github::review::Commentable;
    use crate::harden::values_edit::Suggestion;

    fn at(start: Option<usize>, line: usize) -> Suggestion {
        Suggestion { start_line: start, line, text: String::new() }
    }

    fn entry(
        rule: &'static str,
        severity: Severity,
        path: &str,
        value: serde_json::Value,
        line: usize,
        exact: bool,
    ) -> Entry {
        let fix = crate::check::FixSuggestion {
            values_path: path.into(),
            value: value.into(),
            file: Some("v.yaml".into()),
            line: Some(line),
            exact,
            set: None,
            renames: None,
        };
        let finding = Finding {
            rule,
            severity,
            status: Status::Fail,
            title: "title",
            message: "message".into(),
            object: std::sync::Arc::new(crate::check::ObjectRef {
                api_version: "v1".into(),
                kind: "Deployment".into(),
                name: rule.into(),
                namespace: None,
                template: None,
                embedded_in: None,
                line: 1,
            }),
            fix: Some(Box::new(fix)),
            suppressed: None,
            pin: None,
            change: None,
            no_fix: None,
        };
        Entry {
            fingerprint: review::fingerprint(&finding),
            finding,
            report: 0,
            repo_path: Some("v.yaml".into()),
            file_text: Some("a:\n  b: 1\n".into()),
        }
    }

    #[test]
    fn overlapping_fixes_share_one_suggestion_and_the_rest_say_where_it_is() {
        let entries = [
            // A mapping the file sets, one key of it (b) differently: its suggestion changes
            // line 2 too, under the other two.
            entry("R-LOW", Severity::Low, "a", serde_json::json!({"b": 2, "c": true}), 1, true),
            entry("R-HIGH", Severity::High, "a.b", serde_json::json!(2), 2, true),
            entry("R-MEDIUM", Severity::Medium, "a.b", serde_json::json!(3), 2, true),
        ];
        let commentable = BTreeMap::from([(
            "v.yaml".to_string(),
            Commentable::from_patch("@@ -0,0 +1,2 @@\n+a:\n+  b: 1"),
        )]);
        let comments = inline_candidates(&entries, &commentable);
        let by_rule = |rule: &str| {
            comments.iter().find(|c| c.body.starts_with(&format!("**{rule}**"))).unwrap()
        };
        let high = by_rule("R-HIGH");
        assert_eq!(
            (high.start_line, high.line),
            (None, 2),
            "only the line the combined change differs on"
        );
        assert!(high.body.contains("```suggestion\n  c: true\n  b: 2\n```"), "{}", high.body);
        assert!(
            high.body.contains("- **R-LOW**: set `a` to `{b: 2, c: true}`")
                && !high.body.contains("- **R-MEDIUM**"),
            "{}",
            high.body
        );
        let low = by_rule("R-LOW");
        assert!(
            low.body.contains("suggestion in the **R-HIGH** comment")
                && !low.body.contains("```suggestion"),
            "{}",
            low.body
        );
        let medium = by_rule("R-MEDIUM");
        assert!(
            medium.body.contains("No one-click suggestion")
                && medium.body.contains("**R-HIGH**")
                && !medium.body.contains("```suggestion"),
            "{}",
            medium.body
        );
        assert_eq!(
            comments.iter().map(|c| c.body.split("**").nth(1).unwrap()).collect::<Vec<_>>(),
            ["R-HIGH", "R-MEDIUM", "R-LOW"],
            "most severe first"
        );
    }

    #[test]
    fn suggestions_group_when_their_lines_overlap_in_one_file() {
        let (a, b, c, d, e) =
            (at(None, 8), at(Some(8), 20), at(None, 16), at(None, 21), at(None, 16));
        let given = [
            ("v.yaml", Some(&a)),
            ("v.yaml", Some(&b)),
            ("v.yaml", None),
            ("v.yaml", Some(&c)),
            ("v.yaml", Some(&d)),
            ("w.yaml", Some(&e)),
        ];
        // 8, 8..=20 and 16 overlap (transitively); 21 is next to the range, not on it; w.yaml is
        // another file; the finding without a suggestion is in no group.
        assert_eq!(overlapping_suggestions(&given), [vec![0, 1, 3]]);
        assert!(overlapping_suggestions(&[("v.yaml", Some(&a)), ("v.yaml", Some(&d))]).is_empty());
    }
}
