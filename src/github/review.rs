//! Planning a pull-request review: which lines a diff lets us comment on, what each comment
//! says (with a one-click ```suggestion), the hidden fingerprints that make re-runs idempotent,
//! and the summary comment. Pure functions: no I/O, so every decision is unit-tested.

use crate::check::Finding;
use crate::escape::markdown as markdown_escape;
use crate::harden::values_edit::Suggestion;
use crate::parse::yaml::emit::yaml_flow;
use std::collections::{BTreeMap, BTreeSet};

/// GitHub rejects a review request with more inline comments than reviewdog's etiquette allows
/// (our STYLE.md): at most this many per request. The rest wait for the next run and are
/// listed in the summary meanwhile.
pub const MAX_INLINE_COMMENTS: usize = 30;
/// GitHub's limit on a comment body, in characters.
pub const MAX_COMMENT_CHARS: usize = 65_536;
/// Marks our one summary comment on the PR.
pub const SUMMARY_MARKER: &str = "<!-- helm-harden:summary -->";
const FP_PREFIX: &str = "<!-- helm-harden:fp=";
const FIXED_PREFIX: &str = "<!-- helm-harden:fixed=";

/// The lines of one file's patch that a review comment may target on the RIGHT side
/// (added and context lines), grouped by hunk: a multi-line comment must stay in one hunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Commentable {
    hunks: Vec<BTreeSet<usize>>,
}

impl Commentable {
    /// Reads a unified-diff `patch` as GitHub returns it in the PR files list.
    pub fn from_patch(patch: &str) -> Self {
        let mut hunks = Vec::new();
        let mut current: Option<(BTreeSet<usize>, usize)> = None;
        for line in patch.lines() {
            if let Some(start) = hunk_new_start(line) {
                if let Some((set, _)) = current.take() {
                    hunks.push(set);
                }
                current = Some((BTreeSet::new(), start));
                continue;
            }
            let Some((set, next)) = current.as_mut() else { continue };
            match line.chars().next() {
                Some('+' | ' ') | None => {
                    set.insert(*next);
                    *next += 1;
                }
                // Removed lines exist only on the LEFT side; `\ No newline at end of file` on neither.
                _ => {}
            }
        }
        if let Some((set, _)) = current {
            hunks.push(set);
        }
        Commentable { hunks }
    }

    pub fn contains(&self, line: usize) -> bool {
        self.hunks.iter().any(|h| h.contains(&line))
    }

    /// Whether `start..=end` lies in one hunk, every line commentable.
    pub fn contains_range(&self, start: usize, end: usize) -> bool {
        self.hunks.iter().any(|h| (start..=end).all(|l| h.contains(&l)))
    }
}

/// `@@ -a,b +c,d @@` → `c`.
fn hunk_new_start(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("@@ ")?;
    let plus = rest.split_whitespace().find(|p| p.starts_with('+'))?;
    plus[1..].split(',').next()?.parse().ok()
}

/// A stable identity for a finding across runs and pushes: rule, object and values path,
/// never the line (lines move as the file is edited).
pub fn fingerprint(finding: &Finding) -> String {
    let o = &finding.object;
    let path = finding.fix.as_ref().map_or("", |f| f.values_path.as_str());
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        finding.rule,
        o.kind,
        o.namespace.as_deref().unwrap_or(""),
        o.name,
        path
    );
    // FNV-1a, 64 bit: stable across Rust versions and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The fingerprint hidden in a comment body, if it is one of ours.
pub fn fingerprint_in(body: &str) -> Option<&str> {
    let start = body.find(FP_PREFIX)? + FP_PREFIX.len();
    let rest = &body[start..];
    let end = rest.find(" -->")?;
    Some(&rest[..end])
}

/// One inline comment to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineComment {
    pub path: String,
    pub line: usize,
    pub start_line: Option<usize>,
    pub body: String,
    pub fingerprint: String,
}

/// What an inline comment says about a suggestion shared with other comments (see [`crate::harden::values_edit::combine`]).
pub enum SuggestionNote<'a> {
    None,
    /// This comment's suggestion also applies these findings' fixes.
    AlsoApplies(Vec<&'a Finding>),
    /// The suggestion on this rule's comment applies this fix.
    AppliedBy(&'static str),
    /// This fix's suggestion would overlap the one on this rule's comment.
    Overlaps(&'static str),
}

/// The body of an inline comment: rule and title, why it matters, the fix, the suggestion and
/// the hidden fingerprint.
pub fn comment_body(
    finding: &Finding,
    why: &str,
    suggestion: Option<&Suggestion>,
    note: &SuggestionNote,
    fingerprint: &str,
) -> String {
    let mut body = format!(
        "**{}** ({}): {}\n\n{}\n\n{}",
        finding.rule,
        finding.severity.as_str(),
        markdown_escape(finding.title),
        markdown_escape(&finding.message),
        markdown_escape(why)
    );
    body.push_str(&format!("\n\nObject: `{}`", inline_code(&finding.object.kind_name())));
    match &finding.fix {
        Some(fix) if fix.renames.is_some() => body.push_str(&format!(
            "\n\nFix: rename `{}` to `{}`.",
            inline_code(fix.renames.as_deref().unwrap_or_default()),
            inline_code(&fix.values_path)
        )),
        Some(fix) => body.push_str(&format!(
            "\n\nFix: set `{}` to `{}`.",
            inline_code(&fix.values_path),
            inline_code(&yaml_flow(&fix.value))
        )),
        None => {}
    }
    // A fix that changes how traffic is handled says so, for this finding and for the others
    // whose fixes its suggestion applies.
    let mut traffic: Vec<(&str, &str)> = Vec::new();
    let others: &[&Finding] = match note {
        SuggestionNote::AlsoApplies(others) => others,
        _ => &[],
    };
    for f in std::iter::once(&finding).chain(others).filter(|f| f.fix.is_some()) {
        if let Some(text) = crate::rules::review_before_applying(f.rule) {
            if !traffic.iter().any(|(rule, _)| *rule == f.rule) {
                traffic.push((f.rule, text));
            }
        }
    }
    for (rule, text) in traffic {
        body.push_str(&format!(
            "\n\n**Review before applying** ({rule}): {}.",
            markdown_escape(text)
        ));
    }
    match note {
        SuggestionNote::None => {}
        SuggestionNote::AlsoApplies(others) => {
            body.push_str("\n\nThe suggestion also applies the fixes of these findings (each has its own comment):");
            for other in others {
                if let Some(fix) = &other.fix {
                    body.push_str(&format!(
                        "\n- **{}**: set `{}` to `{}`",
                        other.rule,
                        inline_code(&fix.values_path),
                        inline_code(&yaml_flow(&fix.value))
                    ));
                }
            }
        }
        SuggestionNote::AppliedBy(rule) => {
            body.push_str(&format!("\n\nThe one-click suggestion in the **{rule}** comment on these lines applies this fix too."));
        }
        SuggestionNote::Overlaps(rule) => {
            body.push_str(&format!(
                "\n\nNo one-click suggestion: it would change the lines of the one on the **{rule}** comment. Apply that one first; the next run suggests this fix."
            ));
        }
    }
    if suggestion.is_none() && matches!(note, SuggestionNote::None) && finding.fix.is_some() {
        body.push_str("\n\nNo one-click suggestion: these lines cannot be rewritten safely line by line; set the value above by hand.");
    }
    if let Some(s) = suggestion {
        body.push_str("\n\n```suggestion\n");
        body.push_str(&s.text);
        body.push_str("\n```");
    }
    body.push_str(&format!("\n\n{FP_PREFIX}{fingerprint} -->"));
    body
}

/// Text inside single backticks: a backtick would end the span early.
fn inline_code(s: &str) -> String {
    s.replace('`', "'").replace(['\n', '\r'], " ")
}

/// One finding's line in the summary comment.
pub struct SummaryItem<'a> {
    pub finding: &'a Finding,
    pub fingerprint: String,
    /// `path:line` in the repository where the fix goes, when known.
    pub location: Option<String>,
    /// Posted (now or earlier) as an inline comment.
    pub inline: bool,
}

/// What the summary needs besides the findings.
pub struct SummaryInput<'a> {
    pub items: Vec<SummaryItem<'a>>,
    pub checks: crate::check::Summary,
    pub threshold: crate::rules::Severity,
    pub head_sha: &'a str,
    /// The previous summary's body, to strike through what got fixed.
    pub previous: Option<&'a str>,
    /// Where the full list lives when the comment is truncated (the run's job summary).
    pub run_url: Option<String>,
    /// The diff with the hardened overlay (markdown), shown collapsed when it fits whole.
    pub diff: Option<&'a str>,
    /// The pull request against its base (`--base`), when compared.
    pub base: Option<&'a BaseSummary>,
}

/// The failures of a pull request against its base commit, over every target.
#[derive(Debug, Clone, Default)]
pub struct BaseSummary {
    /// `1a2b3c4 (1a2b3c4)`: the base as `--base` named it, and its commit.
    pub name: String,
    pub counts: crate::check::Counts,
    /// The base's failures this change fixes, one line each (no fingerprint: they are not
    /// findings of this run).
    pub fixed: Vec<String>,
}

impl BaseSummary {
    /// Over the reports of every target.
    pub fn of(reports: &[crate::check::CheckReport]) -> Option<BaseSummary> {
        let mut summary: Option<BaseSummary> = None;
        for c in reports.iter().filter_map(|r| r.comparison.as_deref()) {
            let s = summary.get_or_insert_with(|| BaseSummary {
                name: c.base.clone(),
                ..BaseSummary::default()
            });
            s.counts.new += c.counts.new;
            s.counts.fixed += c.counts.fixed;
            s.counts.existing += c.counts.existing;
            s.fixed.extend(c.fixed.iter().map(|f| {
                format!(
                    "- **{}** ({}) {} on `{}`",
                    f.rule,
                    f.severity.as_str(),
                    markdown_escape(f.title),
                    inline_code(&f.object.kind_name())
                )
            }));
        }
        summary
    }
}

/// Builds the one summary comment: every finding (inline or not), those fixed since the last
/// run struck through, the counts. Never longer than [`MAX_COMMENT_CHARS`].
pub fn summary_body(input: &SummaryInput) -> String {
    let current: BTreeSet<&str> = input.items.iter().map(|i| i.fingerprint.as_str()).collect();
    let fixed: Vec<String> = input
        .previous
        .map(|prev| {
            prev.lines()
                .filter_map(|l| {
                    let at = l.find(FP_PREFIX)?;
                    let fp = fingerprint_in(l)?;
                    (!current.contains(fp)).then(|| {
                        format!(
                            "- ~~{}~~ fixed {FIXED_PREFIX}{fp} -->",
                            l[..at].trim_start_matches("- ").trim_end()
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let failing = input.items.iter().filter(|i| i.finding.severity >= input.threshold).count();
    let mut by_severity: BTreeMap<std::cmp::Reverse<crate::rules::Severity>, usize> =
        BTreeMap::new();
    for i in &input.items {
        *by_severity.entry(std::cmp::Reverse(i.finding.severity)).or_default() += 1;
    }
    let counts = by_severity
        .iter()
        .map(|(s, n)| format!("{n} {}", s.0.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let sha = input.head_sha.get(..12).unwrap_or(input.head_sha);
    let mut head = format!("{SUMMARY_MARKER}\n## helm-harden\n\n");
    if input.items.is_empty() {
        head.push_str(&format!("No hardening failure at `{sha}`."));
    } else {
        head.push_str(&format!(
            "**{} failure{}** at `{sha}` ({counts}); {failing} at or above `{}`.",
            input.items.len(),
            if input.items.len() == 1 { "" } else { "s" },
            input.threshold.as_str()
        ));
    }
    if let Some(base) = input.base {
        let n = base.counts;
        head.push_str(&format!(
            "\n\nAgainst the base `{}`: **{} new**, {} fixed by this change, {} existing.",
            inline_code(&base.name),
            n.new,
            n.fixed,
            n.existing
        ));
    }
    let c = &input.checks;
    head.push_str(&format!(
        "\n\nChecks: {} pass, {} fail, {} not applicable, {} advisory, {} suppressed.\n",
        c.pass, c.fail, c.na, c.advisory, c.suppressed
    ));
    let mut lines: Vec<String> = Vec::new();
    let (inline, elsewhere): (Vec<_>, Vec<_>) = input.items.iter().partition(|i| i.inline);
    if !elsewhere.is_empty() {
        lines.push(format!("\n### Not commented inline ({})\n", elsewhere.len()));
        lines.push("Outside the diff, not in a values file, or past the 30 comments one review may carry.\n".into());
        lines.extend(elsewhere.iter().map(|i| item_line(i)));
    }
    if !inline.is_empty() {
        lines.push(format!("\n### Commented inline ({})\n", inline.len()));
        lines.extend(inline.iter().map(|i| item_line(i)));
    }
    if let Some(base) = input.base.filter(|b| !b.fixed.is_empty()) {
        lines.push(format!("\n### Fixed by this change ({})\n", base.fixed.len()));
        lines.extend(base.fixed.iter().cloned());
    }
    if !fixed.is_empty() {
        lines.push(format!("\n### Fixed since the last run ({})\n", fixed.len()));
        lines.extend(fixed);
    }
    let diff = input.diff.map(|d| {
        format!("\n<details><summary>Diff with the hardened overlay</summary>\n\n{d}\n</details>")
    });
    fit(head, lines, diff, input.run_url.as_deref())
}

fn item_line(item: &SummaryItem) -> String {
    let f = item.finding;
    let new = if f.change == Some(crate::check::Change::New) { ", **new**" } else { "" };
    let mut line = format!(
        "- **{}** ({}{new}) {} on `{}`",
        f.rule,
        f.severity.as_str(),
        markdown_escape(f.title),
        inline_code(&f.object.kind_name())
    );
    if let Some(fix) = &f.fix {
        line.push_str(&format!(
            ": set `{}` to `{}`",
            inline_code(&fix.values_path),
            inline_code(&yaml_flow(&fix.value))
        ));
    }
    if let Some(loc) = &item.location {
        line.push_str(&format!(" at `{}`", inline_code(loc)));
    }
    format!("{line} {FP_PREFIX}{} -->", item.fingerprint)
}

/// Joins `head`, as many whole `lines` as fit and then `tail` if it fits whole (a diff cut in
/// the middle of a code fence would garble the rest), pointing at the job summary for what is
/// left out.
fn fit(head: String, lines: Vec<String>, tail: Option<String>, run_url: Option<&str>) -> String {
    const RESERVE: usize = 600; // room for the truncation note
    let budget = MAX_COMMENT_CHARS - RESERVE;
    let where_ = match run_url {
        Some(url) => format!("the [job summary of this run]({url})"),
        None => "the job summary of this run".into(),
    };
    let mut body = head;
    let mut used = body.chars().count();
    for (i, line) in lines.iter().enumerate() {
        let n = line.chars().count() + 1;
        if used + n > budget {
            let left = lines.len() - i;
            body.push_str(&format!("\n\n… truncated: {left} more line{} (GitHub caps a comment at 65,536 characters); see {where_} for the full list.\n", if left == 1 { "" } else { "s" }));
            return body;
        }
        body.push('\n');
        body.push_str(line);
        used += n;
    }
    body.push('\n');
    if let Some(tail) = tail {
        if used + tail.chars().count() < budget {
            body.push_str(&tail);
            body.push('\n');
        } else {
            body.push_str(&format!(
                "\nThe diff with the hardened overlay is too long for a comment: see {where_}.\n"
            ));
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harden::values_edit::tests::fix;
    use serde_json::json;

    #[test]
    fn commentable_lines_are_added_and_context_lines_of_the_right_side() {
        let patch = "@@ -1,4 +1,5 @@\n a:\n-  b: 1\n+  b: 2\n+  c: 3\n   d: 4\n@@ -20,2 +21,3 @@ ctx\n x:\n+  y: 1\n\\ No newline at end of file";
        let c = Commentable::from_patch(patch);
        for l in [1, 2, 3, 4, 21, 22] {
            assert!(c.contains(l), "line {l}");
        }
        for l in [5, 20, 23] {
            assert!(!c.contains(l), "line {l}");
        }
        assert!(c.contains_range(1, 4));
        assert!(!c.contains_range(4, 21), "a range cannot span two hunks");
    }

    fn finding(rule: &'static str, name: &str, path: &str) -> Finding {
        Finding {
            rule,
            severity: crate::rules::Severity::High,
            status: crate::rules::Status::Fail,
            title: "Title <b>",
            message: "message".into(),
            object: std::sync::Arc::new(crate::check::ObjectRef {
                api_version: "v1".into(),
                kind: "Deployment".into(),
                name: name.into(),
                namespace: Some("ns".into()),
                template: None,
                embedded_in: None,
                line: 3,
            }),
            fix: Some(Box::new(fix(path, json!(true), 3, true))),
            suppressed: None,
            pin: None,
            change: None,
            no_fix: None,
        }
    }

    #[test]
    fn fingerprints_ignore_lines_and_tell_objects_apart() {
        let a = finding("GLOO-001", "gw", "a.b");
        let mut moved = a.clone();
        moved.fix.as_mut().unwrap().line = Some(40);
        std::sync::Arc::make_mut(&mut moved.object).line = 99;
        assert_eq!(fingerprint(&a), fingerprint(&moved));
        assert_ne!(fingerprint(&a), fingerprint(&finding("GLOO-001", "gw2", "a.b")));
        assert_ne!(fingerprint(&a), fingerprint(&finding("GLOO-002", "gw", "a.b")));
        assert_eq!(fingerprint(&a).len(), 16);
        let body = comment_body(&a, "why", None, &SuggestionNote::None, &fingerprint(&a));
        assert_eq!(fingerprint_in(&body), Some(fingerprint(&a).as_str()));
        assert!(body.contains("Title &lt;b&gt;"), "{body}");
    }

    #[test]
    fn summary_strikes_through_what_was_fixed_since_the_last_run() {
        let a = finding("GLOO-001", "gw", "a.b");
        let b = finding("GLOO-002", "gw", "a.c");
        let checks = crate::check::Summary { fail: 2, pass: 5, na: 1, advisory: 0, suppressed: 0 };
        let item = |f: &'static Finding| SummaryItem {
            finding: f,
            fingerprint: fingerprint(f),
            location: Some("v.yaml:3".into()),
            inline: false,
        };
        let (a, b): (&'static Finding, &'static Finding) =
            (Box::leak(Box::new(a)), Box::leak(Box::new(b)));
        let first = summary_body(&SummaryInput {
            items: vec![item(a), item(b)],
            checks,
            threshold: crate::rules::Severity::Low,
            head_sha: "abc",
            previous: None,
            run_url: None,
            diff: None,
            base: None,
        });
        assert!(first.starts_with(SUMMARY_MARKER));
        assert!(first.contains("**2 failures**"), "{first}");
        let second = summary_body(&SummaryInput {
            items: vec![item(b)],
            checks,
            threshold: crate::rules::Severity::Low,
            head_sha: "def",
            previous: Some(&first),
            run_url: None,
            diff: None,
            base: None,
        });
        let struck: Vec<&str> = second.lines().filter(|l| l.contains("~~")).collect();
        assert_eq!(struck.len(), 1, "{second}");
        assert!(struck[0].starts_with("- ~~**GLOO-001**"), "{}", struck[0]);
        let third = summary_body(&SummaryInput {
            items: vec![item(b)],
            checks,
            threshold: crate::rules::Severity::Low,
            head_sha: "def",
            previous: Some(&second),
            run_url: None,
            diff: None,
            base: None,
        });
        assert!(!third.contains("~~"), "struck once, then gone: {third}");
    }

    #[test]
    fn the_diff_goes_in_whole_or_not_at_all() {
        let small = fit("h".into(), vec!["- a".into()], Some("<details>d</details>".into()), None);
        assert!(small.contains("- a\n<details>d</details>"), "{small}");
        let big = fit("h".into(), vec!["- a".into()], Some("d".repeat(70_000)), None);
        assert!(!big.contains("ddd") && big.contains("too long for a comment"), "{big}");
    }

    #[test]
    fn summary_is_cut_below_the_comment_limit_with_a_pointer() {
        let head = "h".to_string();
        let lines: Vec<String> =
            (0..2000).map(|i| format!("- line {i} {}", "x".repeat(80))).collect();
        let body = fit(head, lines, Some("x".repeat(10)), Some("https://example.test/run/1"));
        assert!(body.chars().count() <= MAX_COMMENT_CHARS);
        assert!(
            body.contains("more lines") && body.contains("https://example.test/run/1"),
            "{}",
            &body[body.len() - 300..]
        );
    }
}
