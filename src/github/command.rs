//! `helm-harden review`: check like `check`, then review the pull request: one review with
//! an inline comment (and one-click suggestion) per finding on a changed values line, one
//! summary comment kept up to date, and a clean fallback when the token cannot write.

use super::client::{self, ApiError, ApiResult, Client, Reply};
use super::review::{
    self, Commentable, InlineComment, SummaryInput, SummaryItem, MAX_INLINE_COMMENTS,
    SUMMARY_MARKER,
};
use super::PullRequest;
use crate::check::{Finding, Summary};
use crate::cli::args::{CommentMode, Fallback, ReviewArgs};
use crate::config::{self, Config};
use crate::error::{Error, Result};
use crate::pipeline;
use crate::report::github::{self as annotations, Annotation, Level};
use crate::report::location::{self, Place};
use crate::rules::{self, Severity, Status};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failure to report, with where its fix goes in the repository.
struct Entry {
    finding: Finding,
    /// Index of the report (target) it came from.
    report: usize,
    fingerprint: String,
    /// Repository-relative path of the values file the fix goes in.
    repo_path: Option<String>,
    /// The values file's text, for the suggestion.
    file_text: Option<String>,
}

impl Entry {
    fn line(&self) -> Option<usize> {
        self.finding.fix.as_ref().and_then(|f| f.line)
    }

    fn location(&self) -> Option<String> {
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
    let base = match &args.base {
        Some(rev) => Some(crate::gate::compare::base_tree(rev, &jobs)?),
        None => None,
    };
    let with_diff = github.is_some() && !args.no_diff;
    // Every target's renders go out at once (up to -j targets): the base's with the head's two.
    let checked = pipeline::map_jobs(&jobs, args.chart.jobs_at_once(), |job| {
        std::thread::scope(|s| {
            let base_side = base.as_ref().map(|(tree, cwd)| {
                s.spawn(|| {
                    crate::gate::compare::check_base((tree, cwd), job, (&config, &today), with_diff)
                })
            });
            let checked = head_check(job, (&config, &today), with_diff)?;
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
        if let (Some(base_side), Some((tree, _))) = (base_side, &base) {
            if with_diff {
                let change = crate::harden::diff::diff_renders(
                    &base_side.docs,
                    &checked.docs,
                    &crate::harden::diff::DiffOptions::default(),
                );
                diffs.push_str(&format!(
                    "**Change since {}**\n\n{}\n**Diff with the hardened overlay**\n\n",
                    crate::escape::markdown(&tree.name),
                    crate::harden::diff::render_markdown(&change)
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
    let Some(github) = github else { return Ok(exit) };

    let top = repository_root(&cwd, env);
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
    let retry_base = Duration::from_millis(
        env("HELM_HARDEN_RETRY_BASE_MS").and_then(|v| v.parse().ok()).unwrap_or(1000),
    );
    let client = Client::new(&github.api_url, github.token.clone(), retry_base, args.verbose)?;
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
    match post(&ctx, args.comment) {
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

/// The head's check of one target; with `with_diff`, as `check --diff` (one pass gives the
/// findings and the diff with the hardened overlay, as markdown) and its documents kept whole.
fn head_check(
    job: &pipeline::Job,
    (config, today): (&Config, &str),
    with_diff: bool,
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
    )?;
    let diff = crate::harden::diff::render_markdown(&h.diffs);
    Ok((h.base, Some(diff)))
}

struct Ctx<'a> {
    client: &'a Client,
    pr: &'a PullRequest,
    entries: &'a [Entry],
    checks: Summary,
    threshold: Severity,
    run_url: Option<String>,
    /// The diff with the hardened overlay, as markdown (chart targets only).
    diff: Option<String>,
    /// Against the pull request's base (`--base`).
    base: Option<review::BaseSummary>,
}

// GitHub's REST shapes (docs: "Pull request review comments", "Reviews", "Issue comments").

#[derive(Debug, Deserialize)]
struct PrFile {
    filename: String,
    #[serde(default)]
    status: Option<String>,
    /// Left out for binary files, for very large diffs, and for files past the diff size limit
    /// of one response page.
    #[serde(default)]
    patch: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReviewComment {
    id: u64,
    #[serde(default)]
    body: String,
    #[serde(default)]
    in_reply_to_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct IssueComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Serialize)]
struct CreateReview<'a> {
    commit_id: &'a str,
    body: String,
    event: &'static str,
    comments: Vec<DraftComment<'a>>,
}

#[derive(Debug, Serialize)]
struct DraftComment<'a> {
    path: &'a str,
    line: usize,
    side: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_side: Option<&'static str>,
    body: &'a str,
}

#[derive(Debug, Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

/// Talks to GitHub; returns the line to print when done, and the summary it posted.
fn post(ctx: &Ctx, mode: CommentMode) -> ApiResult<(String, Option<String>)> {
    let pr = ctx.pr;
    let base = pr.repo_route();
    let mut inline_fps: BTreeSet<String> = BTreeSet::new();
    let mut report = Vec::new();
    if mode == CommentMode::Review {
        let files_route = format!("{base}/pulls/{}/files", pr.number);
        let mut files: Vec<PrFile> = ctx.client.get_all(&files_route, client::MAX_PAGES)?;
        let wanted: BTreeSet<&str> =
            ctx.entries.iter().filter_map(|e| e.repo_path.as_deref()).collect();
        for (i, file) in files.iter_mut().enumerate() {
            if file.patch.is_none()
                && file.status.as_deref() != Some("removed")
                && wanted.contains(file.filename.as_str())
            {
                // GitHub drops `patch` from the files of a page once the page's patches add up
                // to its diff limit; a page of this one file carries it.
                let alone: Vec<PrFile> =
                    ctx.client.get_json(&format!("{files_route}?per_page=1&page={}", i + 1))?;
                file.patch =
                    alone.into_iter().find(|f| f.filename == file.filename).and_then(|f| f.patch);
            }
        }
        let commentable: BTreeMap<String, Commentable> = files
            .into_iter()
            .filter_map(|f| Some((f.filename, Commentable::from_patch(&f.patch?))))
            .collect();
        let existing: Vec<ReviewComment> = list_review_comments(ctx)?;
        let existing_fps: BTreeSet<String> = existing
            .iter()
            .filter_map(|c| review::fingerprint_in(&c.body))
            .map(str::to_string)
            .collect();
        let candidates = inline_candidates(ctx.entries, &commentable);
        let (already, new): (Vec<_>, Vec<_>) =
            candidates.into_iter().partition(|c| existing_fps.contains(&c.fingerprint));
        inline_fps.extend(already.iter().map(|c| c.fingerprint.clone()));
        let posting: Vec<InlineComment> = new.into_iter().take(MAX_INLINE_COMMENTS).collect();
        if !posting.is_empty() {
            post_review(ctx, &posting)?;
            inline_fps.extend(posting.iter().map(|c| c.fingerprint.clone()));
        }
        report.push(format!(
            "{} inline comment{} posted, {} already there",
            posting.len(),
            if posting.len() == 1 { "" } else { "s" },
            already.len()
        ));
        let current: BTreeSet<&str> = ctx.entries.iter().map(|e| e.fingerprint.as_str()).collect();
        let replied: BTreeSet<u64> = existing.iter().filter_map(|c| c.in_reply_to_id).collect();
        let mut deleted = 0;
        for c in &existing {
            let Some(fp) = review::fingerprint_in(&c.body) else { continue };
            // A comment someone answered stays: deleting it would orphan the conversation.
            if !current.contains(fp) && !replied.contains(&c.id) {
                ctx.client.delete(&format!("{base}/pulls/comments/{}", c.id))?;
                deleted += 1;
            }
        }
        report.push(format!("{deleted} outdated deleted"));
    }
    let (done, summary) = update_summary(ctx, &inline_fps)?;
    report.push(done);
    Ok((format!("review: {}", report.join("; ")), summary))
}

fn list_review_comments(ctx: &Ctx) -> ApiResult<Vec<ReviewComment>> {
    ctx.client
        .get_all(&format!("{}/pulls/{}/comments", ctx.pr.repo_route(), ctx.pr.number), usize::MAX)
}

/// Findings that can be commented on a line of the diff, most severe first.
fn inline_candidates(
    entries: &[Entry],
    commentable: &BTreeMap<String, Commentable>,
) -> Vec<InlineComment> {
    struct Candidate<'e> {
        entry: &'e Entry,
        path: &'e str,
        line: usize,
        suggestion: Option<crate::harden::values_edit::Suggestion>,
        note: review::SuggestionNote<'e>,
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    for e in entries {
        let (Some(path), Some(line)) = (e.repo_path.as_ref(), e.line()) else { continue };
        let Some(lines) = commentable.get(path) else { continue };
        if !lines.contains(line) {
            continue;
        }
        let suggestion = e
            .finding
            .fix
            .as_ref()
            .zip(e.file_text.as_deref())
            .and_then(|(fix, text)| crate::harden::values_edit::suggestion(text, fix))
            .filter(|s| s.start_line.is_none_or(|start| lines.contains_range(start, s.line)));
        candidates.push(Candidate {
            entry: e,
            path,
            line,
            suggestion,
            note: review::SuggestionNote::None,
        });
    }
    candidates.sort_by(|a, b| {
        b.entry
            .finding
            .severity
            .cmp(&a.entry.finding.severity)
            .then_with(|| a.path.cmp(b.path))
            .then_with(|| a.line.cmp(&b.line))
    });

    // Suggestions whose lines overlap: one suggestion applying them all, on the comment of the
    // most severe finding it applies; the others point at it.
    for cluster in overlapping_suggestions(
        &candidates.iter().map(|c| (c.path, c.suggestion.as_ref())).collect::<Vec<_>>(),
    ) {
        let file_text = candidates[cluster[0]].entry.file_text.as_deref().unwrap_or("");
        let fixes: Vec<&crate::check::FixSuggestion> =
            cluster.iter().filter_map(|&i| candidates[i].entry.finding.fix.as_deref()).collect();
        let lines = &commentable[candidates[cluster[0]].path];
        let combined = (fixes.len() == cluster.len())
            .then(|| crate::harden::values_edit::combine(file_text, &fixes))
            .flatten()
            .filter(|c| {
                lines.contains_range(
                    c.suggestion.start_line.unwrap_or(c.suggestion.line),
                    c.suggestion.line,
                )
            });
        let (carrier, applied) = match combined {
            Some(c) => {
                let carrier = cluster[c.applied[0]];
                candidates[carrier].suggestion = Some(c.suggestion);
                (carrier, c.applied.iter().map(|&k| cluster[k]).collect::<BTreeSet<usize>>())
            }
            // Nothing combines: the most severe keeps its own suggestion.
            None => (cluster[0], BTreeSet::from([cluster[0]])),
        };
        let carrier_rule = candidates[carrier].entry.finding.rule;
        let mut also = Vec::new();
        for &i in &cluster {
            if i == carrier {
                continue;
            }
            candidates[i].suggestion = None;
            if applied.contains(&i) {
                let entry: &Entry = candidates[i].entry;
                also.push(&entry.finding);
                candidates[i].note = review::SuggestionNote::AppliedBy(carrier_rule);
            } else {
                candidates[i].note = review::SuggestionNote::Overlaps(carrier_rule);
            }
        }
        if !also.is_empty() {
            candidates[carrier].note = review::SuggestionNote::AlsoApplies(also);
        }
    }

    candidates
        .into_iter()
        .map(|c| {
            let why = rules::find(c.entry.finding.rule).map_or("", |r| r.why);
            InlineComment {
                path: c.path.to_string(),
                line: c.suggestion.as_ref().map_or(c.line, |s| s.line),
                start_line: c.suggestion.as_ref().and_then(|s| s.start_line),
                body: review::comment_body(
                    &c.entry.finding,
                    why,
                    c.suggestion.as_ref(),
                    &c.note,
                    &c.entry.fingerprint,
                ),
                fingerprint: c.entry.fingerprint.clone(),
            }
        })
        .collect()
}

/// Groups of indexes (each in the order given, at least two) whose suggestions touch
/// overlapping lines of the same file: of such suggestions GitHub can apply only one.
fn overlapping_suggestions(
    suggestions: &[(&str, Option<&crate::harden::values_edit::Suggestion>)],
) -> Vec<Vec<usize>> {
    let mut ranged: Vec<(&str, usize, usize, usize)> = suggestions
        .iter()
        .enumerate()
        .filter_map(|(i, (path, s))| s.map(|s| (*path, s.start_line.unwrap_or(s.line), s.line, i)))
        .collect();
    ranged.sort_unstable();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut reach: Option<(&str, usize)> = None;
    for (path, start, end, i) in ranged {
        match reach {
            Some((p, last)) if p == path && start <= last => {
                groups.last_mut().expect("a group is open").push(i);
                reach = Some((p, last.max(end)));
            }
            _ => {
                groups.push(vec![i]);
                reach = Some((path, end));
            }
        }
    }
    groups
        .into_iter()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort_unstable();
            g
        })
        .collect()
}

fn post_review(ctx: &Ctx, comments: &[InlineComment]) -> ApiResult<()> {
    let request = CreateReview {
        commit_id: &ctx.pr.head_sha,
        body: format!(
            "helm-harden: {} finding{} on changed values lines; the summary comment lists every finding.",
            comments.len(),
            if comments.len() == 1 { "" } else { "s" }
        ),
        event: "COMMENT",
        comments: comments
            .iter()
            .map(|c| DraftComment { path: &c.path, line: c.line, side: "RIGHT", start_line: c.start_line, start_side: c.start_line.map(|_| "RIGHT"), body: &c.body })
            .collect(),
    };
    let route = format!("{}/pulls/{}/reviews", ctx.pr.repo_route(), ctx.pr.number);
    let ours: BTreeSet<&str> = comments.iter().map(|c| c.fingerprint.as_str()).collect();
    // Did a failed attempt create the review after all? Its comments would be listed now.
    let mut look = |_: &Client| -> ApiResult<Option<Reply>> {
        let now = list_review_comments(ctx)?;
        Ok(now
            .iter()
            .any(|c| review::fingerprint_in(&c.body).is_some_and(|fp| ours.contains(fp)))
            .then(|| client::found("{}".into())))
    };
    ctx.client.write("POST", &route, &request, &mut look)?;
    Ok(())
}

/// Creates or updates the summary comment; returns the line to print and the body posted.
fn update_summary(ctx: &Ctx, inline_fps: &BTreeSet<String>) -> ApiResult<(String, Option<String>)> {
    let base = ctx.pr.repo_route();
    let list_route = format!("{base}/issues/{}/comments", ctx.pr.number);
    let find = |client: &Client| -> ApiResult<Option<IssueComment>> {
        let comments: Vec<IssueComment> = client.get_all(&list_route, usize::MAX)?;
        Ok(comments
            .into_iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(SUMMARY_MARKER))))
    };
    let previous = find(ctx.client)?;
    if previous.is_none() && ctx.entries.is_empty() {
        // A clean PR gets no comment; one that had failures gets its summary updated to clean.
        return Ok(("nothing to report, no summary comment".into(), None));
    }
    let items = ctx
        .entries
        .iter()
        .map(|e| SummaryItem {
            finding: &e.finding,
            fingerprint: e.fingerprint.clone(),
            location: e.location(),
            inline: inline_fps.contains(&e.fingerprint),
        })
        .collect();
    let body = review::summary_body(&SummaryInput {
        items,
        checks: ctx.checks,
        threshold: ctx.threshold,
        head_sha: &ctx.pr.head_sha,
        previous: previous.as_ref().and_then(|c| c.body.as_deref()),
        run_url: ctx.run_url.clone(),
        diff: ctx.diff.as_deref(),
        base: ctx.base.as_ref(),
    });
    let request = CommentBody { body: &body };
    if let Some(c) = previous {
        ctx.client.write(
            "PATCH",
            &format!("{base}/issues/comments/{}", c.id),
            &request,
            &mut |_| Ok(None),
        )?;
        Ok((format!("summary comment {} updated", c.id), Some(body)))
    } else {
        let mut look = |client: &Client| -> ApiResult<Option<Reply>> {
            Ok(find(client)?.map(|c| client::found(format!("{{\"id\":{}}}", c.id))))
        };
        let reply = ctx.client.write("POST", &list_route, &request, &mut look)?;
        let id = serde_json::from_str::<serde_json::Value>(&reply.body)
            .ok()
            .and_then(|v| v["id"].as_u64())
            .map(|id| format!(" {id}"))
            .unwrap_or_default();
        Ok((format!("summary comment{id} created"), Some(body)))
    }
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

/// The top of the repository the working directory is in: git's work tree, else
/// `$GITHUB_WORKSPACE` when the directory is under it (a container job without git, where
/// actions/checkout downloads a tarball, or a work tree git refuses as of dubious ownership).
fn repository_root(cwd: &Path, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    git_top_level(cwd).or_else(|| {
        let workspace = std::fs::canonicalize(env("GITHUB_WORKSPACE")?).ok()?;
        std::fs::canonicalize(cwd).ok()?.starts_with(&workspace).then_some(workspace)
    })
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

fn git_top_level(cwd: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let top = String::from_utf8(out.stdout).ok()?;
    std::fs::canonicalize(top.trim()).ok()
}

/// `file` (as the user named it, relative to `cwd`) as a path in the repository, `/`-separated.
fn repo_relative(cwd: &Path, top: &Path, file: &str) -> Option<String> {
    let path = std::fs::canonicalize(cwd.join(file)).ok()?;
    let rel = path.strip_prefix(top).ok()?;
    Some(rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
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
