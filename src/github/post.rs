//! What the review posts and how: the pull request's files and comments read, the inline
//! comments chosen (on lines the diff shows, at most [`MAX_INLINE_COMMENTS`]), the review
//! created, and the one summary comment kept up to date.

use super::client::{self, ApiResult, Client, Reply};
use super::command::Entry;
use super::review::{
    self, Commentable, InlineComment, SummaryInput, SummaryItem, MAX_INLINE_COMMENTS,
    SUMMARY_MARKER,
};
use super::PullRequest;
use crate::check::Summary;
use crate::cli::args::CommentMode;
use crate::rules::{self, Severity};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct Ctx<'a> {
    pub(super) client: &'a Client,
    pub(super) pr: &'a PullRequest,
    pub(super) entries: &'a [Entry],
    pub(super) checks: Summary,
    pub(super) threshold: Severity,
    pub(super) run_url: Option<String>,
    /// The diff with the hardened overlay, as markdown (chart targets only).
    pub(super) diff: Option<String>,
    /// Against the pull request's base (`--base`).
    pub(super) base: Option<review::BaseSummary>,
}

// GitHub's REST shapes (docs: "Pull request review comments", "Reviews", "Issue comments").

#[derive(Debug, Deserialize)]
pub(super) struct PrFile {
    filename: String,
    #[serde(default)]
    status: Option<String>,
    /// Left out for binary files, for very large diffs, and for files past the diff size limit
    /// of one response page.
    #[serde(default)]
    patch: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ReviewComment {
    id: u64,
    #[serde(default)]
    body: String,
    #[serde(default)]
    in_reply_to_id: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct IssueComment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct CreateReview<'a> {
    commit_id: &'a str,
    body: String,
    event: &'static str,
    comments: Vec<DraftComment<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct DraftComment<'a> {
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
pub(super) struct CommentBody<'a> {
    body: &'a str,
}

/// What the review reads of the pull request before it posts: its files and review comments
/// (for inline comments) and its issue comments (for the summary). None of it depends on the
/// findings, so [`read`] runs while helm renders.
pub(super) struct Reads {
    files: ApiResult<Vec<PrFile>>,
    review_comments: ApiResult<Vec<ReviewComment>>,
    issue_comments: ApiResult<Vec<IssueComment>>,
}

/// Reads what `mode` needs (see [`Reads`]); an error is kept for [`post`] to return, as if it
/// had read then.
pub(super) fn read(client: &Client, pr: &PullRequest, mode: CommentMode) -> Reads {
    let inline = mode == CommentMode::Review;
    Reads {
        files: if inline {
            client.get_all(&files_route(pr), client::MAX_PAGES)
        } else {
            Ok(Vec::new())
        },
        review_comments: if inline { list_review_comments(client, pr) } else { Ok(Vec::new()) },
        issue_comments: client.get_all(&issue_comments_route(pr), usize::MAX),
    }
}

fn files_route(pr: &PullRequest) -> String {
    format!("{}/pulls/{}/files", pr.repo_route(), pr.number)
}

fn issue_comments_route(pr: &PullRequest) -> String {
    format!("{}/issues/{}/comments", pr.repo_route(), pr.number)
}

/// Talks to GitHub, starting from what [`read`] found; returns the line to print when done, and
/// the summary it posted.
pub(super) fn post(
    ctx: &Ctx,
    mode: CommentMode,
    reads: Reads,
) -> ApiResult<(String, Option<String>)> {
    let pr = ctx.pr;
    let base = pr.repo_route();
    let mut inline_fps: BTreeSet<String> = BTreeSet::new();
    let mut report = Vec::new();
    if mode == CommentMode::Review {
        let files_route = files_route(pr);
        let mut files: Vec<PrFile> = reads.files?;
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
        let existing: Vec<ReviewComment> = reads.review_comments?;
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
    let (done, summary) = update_summary(ctx, &inline_fps, reads.issue_comments?)?;
    report.push(done);
    Ok((format!("review: {}", report.join("; ")), summary))
}

pub(super) fn list_review_comments(
    client: &Client,
    pr: &PullRequest,
) -> ApiResult<Vec<ReviewComment>> {
    client.get_all(&format!("{}/pulls/{}/comments", pr.repo_route(), pr.number), usize::MAX)
}

/// Findings that can be commented on a line of the diff, most severe first.
pub(super) fn inline_candidates(
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
pub(super) fn overlapping_suggestions(
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

pub(super) fn post_review(ctx: &Ctx, comments: &[InlineComment]) -> ApiResult<()> {
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
        let now = list_review_comments(ctx.client, ctx.pr)?;
        Ok(now
            .iter()
            .any(|c| review::fingerprint_in(&c.body).is_some_and(|fp| ours.contains(fp)))
            .then(|| client::found("{}".into())))
    };
    ctx.client.write("POST", &route, &request, &mut look)?;
    Ok(())
}

/// Creates or updates the summary comment (the one of `comments`, the pull request's issue
/// comments, that starts with the marker); returns the line to print and the body posted.
pub(super) fn update_summary(
    ctx: &Ctx,
    inline_fps: &BTreeSet<String>,
    comments: Vec<IssueComment>,
) -> ApiResult<(String, Option<String>)> {
    let base = ctx.pr.repo_route();
    let list_route = issue_comments_route(ctx.pr);
    let summary_of = |comments: Vec<IssueComment>| {
        comments
            .into_iter()
            .find(|c| c.body.as_deref().is_some_and(|b| b.starts_with(SUMMARY_MARKER)))
    };
    let find = |client: &Client| -> ApiResult<Option<IssueComment>> {
        Ok(summary_of(client.get_all(&list_route, usize::MAX)?))
    };
    let previous = summary_of(comments);
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
