//! `helm-harden review` against a local server on 127.0.0.1 that answers as GitHub's REST API
//! does (routes, statuses, `Link` pagination, error bodies) and records every request, so the
//! tests assert the exact requests a pull request would receive. The server is
//! tests/common/github_mock.rs, shared with tests/action.rs.

mod common;

use assert_cmd::Command;
use common::github_mock::{
    fingerprint, methods_and_routes, pr_files, FakeGitHub, Fault, Repo, Request, HEAD_SHA,
    MERGE_SHA, TOKEN, VALUES_PATH,
};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `review` of the pre-rendered gloo-mini manifests, with the repo's values file for the fix
/// locations: no helm needed.
fn review_cmd(repo: &Repo, gh: &FakeGitHub) -> Command {
    let mut c = base_cmd(repo, gh);
    c.args(["review", "--manifests"])
        .arg(root().join("fixtures/manifests/gloo-mini-default.yaml"))
        .args(["-f", VALUES_PATH, "--verbose"]);
    c
}

/// `review` of the gloo-mini chart rendered by helm with the repo's values file, so changing
/// the values changes the findings.
fn review_chart_cmd(repo: &Repo, gh: &FakeGitHub, helm: &Path) -> Command {
    let mut c = base_cmd(repo, gh);
    c.env("HELM_BIN", helm).arg("review").arg(root().join("fixtures/charts/gloo-mini")).args([
        "-f",
        VALUES_PATH,
        "--verbose",
    ]);
    c
}

fn base_cmd(repo: &Repo, gh: &FakeGitHub) -> Command {
    let mut c = common::helm_harden();
    c.current_dir(repo.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_EVENT_PATH", repo.path().join("event.json"))
        .env("GITHUB_REPOSITORY", "octo/gw")
        .env("GITHUB_SHA", MERGE_SHA)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", &gh.url)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_RUN_ID", "99")
        .env("HELM_HARDEN_RETRY_BASE_MS", "1");
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(c: &mut Command) -> Run {
    let out = c.output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token leaked:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

#[test]
fn first_run_posts_one_review_and_a_summary_with_exact_requests() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let r = run(&mut review_cmd(&repo, &gh));
    assert_eq!(r.code, 1, "weak values fail at the default threshold: {}", r.stderr);
    let reqs = gh.requests();
    assert_eq!(
        methods_and_routes(&reqs),
        [
            "GET /repos/octo/gw/pulls/7/files?per_page=100",
            "GET /repos/octo/gw/pulls/7/files?per_page=100&page=2",
            "GET /repos/octo/gw/pulls/7/comments?per_page=100",
            "GET /repos/octo/gw/issues/7/comments?per_page=100",
            "POST /repos/octo/gw/pulls/7/reviews",
            "POST /repos/octo/gw/issues/7/comments",
        ],
        "the reads (made while helm renders), then the review and the summary"
    );
    for req in &reqs {
        assert_eq!(req.header("accept"), Some("application/vnd.github+json"), "{}", req.target);
        assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(req.header("authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        assert!(req.header("user-agent").is_some_and(|ua| !ua.is_empty()));
    }
    let review = reqs[4].json();
    assert_eq!(review["commit_id"], HEAD_SHA, "the PR head, not GITHUB_SHA (the merge commit)");
    assert_eq!(review["event"], "COMMENT");
    let comments = review["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 30, "at most 30 inline comments in one review request");
    for c in comments {
        assert_eq!(c["path"], VALUES_PATH);
        assert_eq!(c["side"], "RIGHT");
        assert!(c["line"].as_u64().unwrap() >= 1);
        assert!(c.get("position").is_none(), "line/side, not the deprecated position");
    }
    // The high-severity scalar fix: a one-click suggestion rewriting the key's own line.
    let line = repo.line_of("alwaysAcceptResources");
    let c = comments
        .iter()
        .find(|c| c["body"].as_str().unwrap().starts_with("**GLOO-004**"))
        .expect("GLOO-004 commented");
    assert_eq!(c["line"], line);
    assert!(c.get("start_line").is_none(), "a single line");
    let body = c["body"].as_str().unwrap();
    assert!(body.contains("```suggestion\n    alwaysAcceptResources: false\n```"), "{body}");
    assert!(
        body.contains("Fix: set `gateway.validation.alwaysAcceptResources` to `false`"),
        "{body}"
    );
    assert!(body.contains("<!-- helm-harden:fp="), "{body}");
    // A missing key: the suggestion replaces the parent line with itself plus the new lines.
    let c = comments
        .iter()
        .find(|c| c["body"].as_str().unwrap().starts_with("**GLOO-001**"))
        .expect("GLOO-001 commented");
    assert_eq!(c["line"], repo.line_of("gateway:"));
    assert!(
        c["body"].as_str().unwrap().contains(
            "```suggestion\ngateway:\n  proxyServiceAccount:\n    disableAutomount: true\n```"
        ),
        "{}",
        c["body"]
    );
    // A fix that changes how traffic is handled says to review it before applying; no other.
    let traffic = ["ENVOY-009", "ENVOY-013", "ENVOY-016", "ENVOY-017", "ENVOY-018", "GLOO-010"];
    let mut noted = 0;
    for c in comments {
        let body = c["body"].as_str().unwrap();
        let rule = body.split("**").nth(1).unwrap();
        let says = body.contains("**Review before applying**");
        if traffic.contains(&rule) {
            assert!(body.contains(&format!("**Review before applying** ({rule}): ")), "{body}");
            noted += 1;
        } else if !body.contains("The suggestion also applies the fixes") {
            assert!(!says, "{body}");
        }
    }
    assert!(noted > 0, "a traffic fix among the 30 comments");
    // The summary lists every finding, those not commented inline first.
    let summary = reqs[5].json()["body"].as_str().unwrap().to_string();
    assert!(summary.starts_with("<!-- helm-harden:summary -->"));
    let listed = summary.lines().filter(|l| l.contains("<!-- helm-harden:fp=")).count();
    assert!(listed > 30, "all findings listed, not only the 30 inline: {listed}");
    assert!(summary.contains("### Not commented inline"), "{summary}");
    assert!(r.stdout.contains("GLOO-004"), "the text report on stdout");
    assert!(
        r.stderr.contains("github: POST /repos/octo/gw/pulls/7/reviews -> 200"),
        "--verbose logs requests: {}",
        r.stderr
    );
    assert!(r.stderr.lines().last().unwrap().starts_with("review: 30 inline comments posted, 0 already there; 0 outdated deleted; summary comment "), "{}", r.stderr);
}

#[test]
fn rerun_posts_no_duplicate_and_updates_the_summary_in_place() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    assert_eq!(run(&mut review_cmd(&repo, &gh)).code, 1);
    let first: Vec<String> =
        gh.review_comments().iter().map(|c| fingerprint(c["body"].as_str().unwrap())).collect();
    gh.clear_requests();
    // Second run: the findings past the first 30 get their comments; nothing posted twice.
    assert_eq!(run(&mut review_cmd(&repo, &gh)).code, 1);
    let reqs = gh.requests();
    let posts: Vec<&Request> = reqs.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 1, "one review, no new summary: {:?}", methods_and_routes(&reqs));
    assert_eq!(posts[0].route(), "/repos/octo/gw/pulls/7/reviews");
    for c in posts[0].json()["comments"].as_array().unwrap() {
        assert!(
            !first.contains(&fingerprint(c["body"].as_str().unwrap())),
            "duplicate inline comment"
        );
    }
    let patch: Vec<&Request> = reqs.iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patch.len(), 1);
    assert_eq!(
        patch[0].route(),
        format!("/repos/octo/gw/issues/comments/{}", gh.issue_comments()[0]["id"])
    );
    // Third run: everything is there; only reads and the summary update.
    gh.clear_requests();
    assert_eq!(run(&mut review_cmd(&repo, &gh)).code, 1);
    let writes: Vec<String> =
        methods_and_routes(&gh.requests()).into_iter().filter(|r| !r.starts_with("GET")).collect();
    assert_eq!(
        writes,
        [format!("PATCH /repos/octo/gw/issues/comments/{}", gh.issue_comments()[0]["id"])]
    );
    assert_eq!(gh.issue_comments().len(), 1, "one summary comment per PR");
    let fps: Vec<String> =
        gh.review_comments().iter().map(|c| fingerprint(c["body"].as_str().unwrap())).collect();
    let unique: std::collections::BTreeSet<&String> = fps.iter().collect();
    assert_eq!(unique.len(), fps.len(), "no fingerprint twice");
}

#[test]
fn fixed_findings_are_struck_through_and_their_comments_deleted_unless_answered() {
    let Some(helm) = common::helm_or_skip() else { return };
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    run(&mut review_chart_cmd(&repo, &gh, &helm));
    let comments = gh.review_comments();
    let body_of = |rule: &str| {
        comments
            .iter()
            .find(|c| c["body"].as_str().unwrap().starts_with(&format!("**{rule}**")))
            .unwrap_or_else(|| panic!("{rule}"))
            .clone()
    };
    let (gloo004, gloo007) = (body_of("GLOO-004"), body_of("GLOO-007"));
    // Someone answers the GLOO-007 comment.
    gh.state.lock().unwrap().review_comments.push(json!({"id": 1, "body": "we know", "in_reply_to_id": gloo007["id"], "path": VALUES_PATH, "line": gloo007["line"]}));
    // The author fixes both.
    let fixed = repo
        .values
        .replace("alwaysAcceptResources: true", "alwaysAcceptResources: false")
        .replace("failurePolicy: Ignore", "failurePolicy: Fail");
    std::fs::write(repo.path().join(VALUES_PATH), fixed).unwrap();
    gh.clear_requests();
    run(&mut review_chart_cmd(&repo, &gh, &helm));
    let deletes: Vec<String> = methods_and_routes(&gh.requests())
        .into_iter()
        .filter(|r| r.starts_with("DELETE"))
        .collect();
    assert_eq!(
        deletes,
        [format!("DELETE /repos/octo/gw/pulls/comments/{}", gloo004["id"])],
        "the answered comment stays"
    );
    let summary = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    let struck: Vec<&str> = summary.lines().filter(|l| l.starts_with("- ~~")).collect();
    assert_eq!(struck.len(), 2, "{summary}");
    assert!(
        struck.iter().any(|l| l.contains("GLOO-004"))
            && struck.iter().any(|l| l.contains("GLOO-007"))
    );
    assert!(
        summary.contains("<details><summary>Diff with the hardened overlay</summary>")
            && summary.contains("```diff"),
        "a chart target's summary carries the diff, collapsed: {summary}"
    );
}

#[test]
fn retries_502_and_secondary_rate_limits_without_duplicating_a_write() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    // A read fails once with a 502: read again.
    gh.fault(Fault {
        method: "GET",
        route_ends: "/pulls/7/files",
        status: 502,
        headers: vec![],
        body: "",
        applied: false,
    });
    // The review is created but the proxy answers 502: look, find it, do not post again.
    gh.fault(Fault {
        method: "POST",
        route_ends: "/pulls/7/reviews",
        status: 502,
        headers: vec![],
        body: "",
        applied: true,
    });
    // The summary hits a secondary rate limit (refused): wait Retry-After, then post.
    gh.fault(Fault {
        method: "POST",
        route_ends: "/issues/7/comments",
        status: 429,
        headers: vec![("Retry-After", "1")],
        body: r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}"#,
        applied: false,
    });
    let r = run(&mut review_cmd(&repo, &gh));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let routes = methods_and_routes(&gh.requests());
    assert_eq!(
        routes
            .iter()
            .filter(|r| r.starts_with("GET /repos/octo/gw/pulls/7/files?per_page=100"))
            .count(),
        3,
        "page 1 twice, page 2 once: {routes:?}"
    );
    assert_eq!(
        routes.iter().filter(|r| *r == "POST /repos/octo/gw/pulls/7/reviews").count(),
        1,
        "no second review: {routes:?}"
    );
    assert_eq!(
        routes.iter().filter(|r| *r == "POST /repos/octo/gw/issues/7/comments").count(),
        2,
        "{routes:?}"
    );
    assert_eq!(gh.review_comments().len(), 30);
    assert_eq!(gh.issue_comments().len(), 1);
    // After the 502 the client looked (listed the review comments) before deciding.
    let post = routes.iter().position(|r| r == "POST /repos/octo/gw/pulls/7/reviews").unwrap();
    assert_eq!(routes[post + 1], "GET /repos/octo/gw/pulls/7/comments?per_page=100");
}

#[test]
fn persistent_server_errors_give_up_with_exit_2_and_no_token() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    for _ in 0..5 {
        gh.fault(Fault {
            method: "GET",
            route_ends: "/pulls/7/files",
            status: 502,
            headers: vec![],
            body: r#"{"message":"Server Error"}"#,
            applied: false,
        });
    }
    let r = run(&mut review_cmd(&repo, &gh));
    assert_eq!(r.code, 2);
    let last = r.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: GitHub: GET /repos/octo/gw/pulls/7/files")
            && last.contains("502")
            && last.contains("5 attempts"),
        "{last}"
    );
    // Nobody listening: the transport error is one line, token-free, exit 2.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = run(review_cmd(&repo, &gh).env("GITHUB_API_URL", format!("http://127.0.0.1:{closed}")));
    assert_eq!(
        (r.code, r.stderr.lines().filter(|l| l.starts_with("error:")).count()),
        (2, 1),
        "{}",
        r.stderr
    );
}

/// A fork's pull request: every write is 403 "Resource not accessible by integration".
fn read_only(repo: &Repo) -> FakeGitHub {
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    gh.state.lock().unwrap().read_only = true;
    gh
}

/// Workflow-command lines (`::name ...::...`) of a log.
fn workflow_commands(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.starts_with("::")).collect()
}

#[test]
fn fork_token_falls_back_to_annotations_and_exits_by_findings() {
    let repo = Repo::new();
    let gh = read_only(&repo);
    let summary = repo.path().join("step-summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let r = run(review_cmd(&repo, &gh)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--fail-on", "high"]));
    assert_eq!(r.code, 1, "high findings remain; the 403 decides nothing: {}", r.stderr);
    assert_eq!(r.stderr.matches("warning:").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: the GitHub token cannot comment on this pull request"),
        "outside GitHub Actions, a plain line: {}",
        r.stderr
    );
    assert!(!r.stdout.contains("::warning::"), "{}", r.stdout);
    // The annotations are check --format github's: same title format, message and cap, each
    // level at most 10 and a final notice counting the rest.
    let line = repo.line_of("alwaysAcceptResources");
    assert!(
        r.stdout.contains(&format!("::error file={VALUES_PATH},line={line},title=GLOO-004 ")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l.starts_with("::warning file=")),
        "medium findings as warnings"
    );
    let commands = workflow_commands(&r.stdout);
    for level in ["::error ", "::warning ", "::notice "] {
        assert!(
            commands.iter().filter(|l| l.starts_with(level)).count() <= 10,
            "at most 10 {level}: {}",
            r.stdout
        );
    }
    let last = commands.last().unwrap();
    assert!(
        last.starts_with("::notice title=helm-harden::")
            && last.contains("more failures not annotated")
            && last.ends_with("are in this step's log."),
        "{last}"
    );
    let check = common::helm_harden()
        .current_dir(repo.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["check", "--format", "github", "--manifests"])
        .arg(root().join("fixtures/manifests/gloo-mini-default.yaml"))
        .args(["-f", VALUES_PATH])
        .output()
        .unwrap();
    let check = String::from_utf8(check.stdout).unwrap();
    let check = workflow_commands(&check);
    assert_eq!(
        commands[..commands.len() - 1],
        check[..check.len() - 1],
        "the same annotations as check --format github"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("# earlier step\n")
            && written.contains("helm-harden review")
            && written.contains("in this step's annotations"),
        "appended: {written}"
    );
    assert_eq!(gh.review_comments().len(), 0);
    assert!(
        gh.requests()
            .iter()
            .all(|r| r.method == "GET" || r.route() == "/repos/octo/gw/pulls/7/reviews"),
        "no write after the first 403"
    );
}

#[test]
fn fallback_job_summary_writes_only_the_note() {
    let repo = Repo::new();
    let gh = read_only(&repo);
    let summary = repo.path().join("step-summary.md");
    let r = run(review_cmd(&repo, &gh).env("GITHUB_STEP_SUMMARY", &summary).args([
        "--fail-on",
        "high",
        "--fallback",
        "job-summary",
    ]));
    assert_eq!(r.code, 1, "the findings still decide: {}", r.stderr);
    assert!(
        workflow_commands(&r.stdout).is_empty(),
        "no annotation: an earlier check step wrote them\n{}",
        r.stdout
    );
    assert!(r.stdout.contains("GLOO-004"), "the text report on stdout");
    assert_eq!(
        r.stderr.matches("warning: the GitHub token cannot comment on this pull request").count(),
        1,
        "{}",
        r.stderr
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with(
            "\n### helm-harden review\n\nThe token could not comment on this pull request"
        ),
        "{written}"
    );
    assert!(
        written.contains("in this job's annotations and in the job summary above."),
        "{written}"
    );
    assert!(
        gh.requests()
            .iter()
            .all(|r| r.method == "GET" || r.route() == "/repos/octo/gw/pulls/7/reviews"),
        "no write after the first 403"
    );
}

#[test]
fn in_github_actions_the_fork_warning_is_one_workflow_command() {
    let repo = Repo::new();
    for fallback in ["annotations", "job-summary"] {
        let gh = read_only(&repo);
        let r = run(review_cmd(&repo, &gh)
            .env("GITHUB_ACTIONS", "true")
            .args(["--fallback", fallback]));
        assert_eq!(r.code, 1, "{fallback}: {}", r.stderr);
        assert!(!r.stderr.contains("warning:"), "{fallback}: no plain warning line: {}", r.stderr);
        let commands = workflow_commands(&r.stdout);
        let warnings: Vec<&&str> =
            commands.iter().filter(|l| l.starts_with("::warning::")).collect();
        assert_eq!(warnings.len(), 1, "{fallback}: {}", r.stdout);
        // One line, its text escaped as workflow-command data: `(`, `'` and `:` stay as they are.
        assert_eq!(
            warnings[0].to_string(),
            format!(
                "::warning::the GitHub token cannot comment on this pull request (read-only, as on a fork's pull request): {}",
                if fallback == "annotations" { "reporting through annotations and the job summary instead" } else { "the findings are in this job's annotations and job summary instead" }
            )
        );
        assert_eq!(commands[0], *warnings[0], "{fallback}: the warning comes first");
        if fallback == "annotations" {
            // The warning takes one of the step's 10 warning annotations.
            assert_eq!(
                commands.iter().filter(|l| l.starts_with("::warning ")).count(),
                9,
                "{}",
                r.stdout
            );
            assert!(
                commands.last().unwrap().starts_with("::notice title=helm-harden::"),
                "{}",
                r.stdout
            );
        } else {
            assert_eq!(commands.len(), 1, "only the warning: {}", r.stdout);
        }
    }
}

#[test]
fn findings_outside_the_diff_land_in_the_summary() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.partial_patch(6)));
    run(&mut review_cmd(&repo, &gh));
    let comments = gh.review_comments();
    assert!(!comments.is_empty());
    assert!(comments.iter().all(|c| c["line"].as_u64().unwrap() <= 6), "only lines in the hunk");
    let summary = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    let replicas = repo.line_of("replicas: 1");
    let not_inline = summary.split("### Commented inline").next().unwrap();
    assert!(
        not_inline.contains("**GLOO-019**")
            && not_inline.contains(&format!("`{VALUES_PATH}:{replicas}`")),
        "{summary}"
    );
}

#[test]
fn github_enterprise_api_prefix_is_kept_on_every_request() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("/api/v3", pr_files(&repo.added_patch()));
    let r = run(&mut review_cmd(&repo, &gh));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let routes = methods_and_routes(&gh.requests());
    assert!(
        routes.iter().all(|r| r.split(' ').nth(1).unwrap().starts_with("/api/v3/repos/octo/gw/")),
        "{routes:?}"
    );
    assert!(
        routes.contains(&"GET /api/v3/repos/octo/gw/pulls/7/files?per_page=100&page=2".to_string()),
        "Link pagination under the prefix"
    );
    assert_eq!(gh.review_comments().len(), 30);
    assert_eq!(gh.issue_comments().len(), 1);
}

#[test]
fn summary_stays_under_githubs_comment_limit() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    // A previous summary listing 3000 findings that are now all gone: far too many to strike through in 65,536 characters.
    let lines: String = (0..3000).map(|i| format!("- **GLOO-0{:02}** (medium) some long title of a finding number {i} on `Deployment/gateway-proxy-{i}` <!-- helm-harden:fp={i:016x} -->\n", i % 40)).collect();
    gh.state
        .lock()
        .unwrap()
        .issue_comments
        .push(json!({"id": 5, "body": format!("<!-- helm-harden:summary -->\n{lines}")}));
    run(&mut review_cmd(&repo, &gh));
    let body = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    assert!(body.chars().count() <= 65_536, "{}", body.chars().count());
    assert!(
        body.contains("truncated")
            && body.contains("https://github.example/octo/gw/actions/runs/99"),
        "{}",
        &body[body.len() - 400..]
    );
    assert!(body.contains("**GLOO-004**"), "current findings come before the struck-through ones");
}

#[test]
fn summary_mode_posts_only_the_summary_and_off_posts_nothing() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    assert_eq!(run(review_cmd(&repo, &gh).args(["--comment", "summary"])).code, 1);
    assert_eq!(
        methods_and_routes(&gh.requests()),
        [
            "GET /repos/octo/gw/issues/7/comments?per_page=100",
            "POST /repos/octo/gw/issues/7/comments"
        ]
    );
    gh.clear_requests();
    let r = run(review_cmd(&repo, &gh).args(["--comment", "off"]).env_remove("GITHUB_EVENT_PATH"));
    assert_eq!(r.code, 1);
    assert!(gh.requests().is_empty());
}

#[test]
fn missing_or_malformed_environment_is_a_one_line_error() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", vec![]);
    let r = run(review_cmd(&repo, &gh).env_remove("GITHUB_EVENT_PATH"));
    assert_eq!((r.code, r.stderr.lines().count()), (2, 1), "{}", r.stderr);
    assert!(r.stderr.contains("GITHUB_EVENT_PATH"));
    std::fs::write(repo.path().join("push.json"), r#"{"ref":"refs/heads/main"}"#).unwrap();
    let r = run(review_cmd(&repo, &gh).env("GITHUB_EVENT_PATH", repo.path().join("push.json")));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("push.json") && r.stderr.contains("not a pull_request"),
        "{}",
        r.stderr
    );
    let r = run(review_cmd(&repo, &gh).env_remove("GITHUB_TOKEN"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("GITHUB_TOKEN is not set"), "{}", r.stderr);
    let r = run(review_cmd(&repo, &gh).env("GITHUB_TOKEN", format!("{TOKEN}\nX-Injected: 1")));
    assert_eq!(
        (r.code, r.stderr.lines().count()),
        (2, 1),
        "a token that would break the header is refused: {}",
        r.stderr
    );
    assert!(r.stderr.contains("GITHUB_TOKEN holds characters"), "{}", r.stderr);
    let r = run(review_cmd(&repo, &gh)
        .env_remove("GITHUB_TOKEN")
        .env("MY_TOKEN", TOKEN)
        .args(["--token-env", "MY_TOKEN"]));
    assert_eq!(r.code, 1, "the token from --token-env: {}", r.stderr);
    assert!(
        gh.requests().iter().all(|r| !r.body.contains(TOKEN)),
        "the token only in the Authorization header"
    );
}

/// The value at a dotted path of parsed YAML.
fn at_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |v, k| v.get(k))
}

/// Whether `actual` carries every key of `fix` with its value (helm merges mappings, so keys
/// the user set besides the fix's stay).
fn sets(actual: &Value, fix: &Value) -> bool {
    match (actual, fix) {
        (Value::Object(a), Value::Object(f)) => {
            f.iter().all(|(k, v)| a.get(k).is_some_and(|x| sets(x, v)))
        }
        _ => actual == fix,
    }
}

/// The suggestion in a comment body and the lines it replaces.
fn suggestion_of(c: &Value) -> Option<(usize, usize, String)> {
    let body = c["body"].as_str().unwrap();
    let start = body.find("```suggestion\n")?;
    let text = &body[start + "```suggestion\n".len()..];
    let text = text[..text.find("\n```").unwrap()].to_string();
    let last = c["line"].as_u64().unwrap() as usize;
    let first = c["start_line"].as_u64().map_or(last, |l| l as usize);
    Some((first, last, text))
}

/// The fixes a comment names: its own (`Fix: set ...`) and, on a suggestion that applies
/// several, each one it lists (`- **RULE**: set ...`).
fn fixes_named(body: &str) -> Vec<(String, Value)> {
    body.split("set `")
        .skip(1)
        .map(|rest| {
            let (path, rest) = rest.split_once("` to `").unwrap();
            let value = &rest[..rest.find('`').unwrap()];
            (path.to_string(), yaml_serde::from_str(value).unwrap())
        })
        .collect()
}

/// `values` with each (first, last, text) replacement made; they must not overlap.
fn apply_all(values: &str, mut suggestions: Vec<(usize, usize, String)>) -> String {
    suggestions.sort();
    for pair in suggestions.windows(2) {
        assert!(
            pair[0].1 < pair[1].0,
            "suggestions on overlapping lines cannot be applied together: {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
    let mut lines: Vec<&str> = values.lines().collect();
    for (first, last, text) in suggestions.iter().rev() {
        lines.splice(first - 1..*last, text.lines());
    }
    lines.join("\n")
}

#[test]
fn every_suggestion_applied_alone_sets_the_fixes_it_names_and_keeps_the_file_valid() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    run(&mut review_cmd(&repo, &gh));
    run(&mut review_cmd(&repo, &gh));
    let comments = gh.review_comments();
    let before: Value = yaml_serde::from_str(&repo.values).unwrap();
    let (mut checked, mut combined) = (0, 0);
    for c in &comments {
        let Some(suggestion) = suggestion_of(c) else { continue };
        let fixes = fixes_named(c["body"].as_str().unwrap());
        let changed = apply_all(&repo.values, vec![suggestion]);
        let doc: Value = yaml_serde::from_str(&changed).unwrap_or_else(|e| {
            panic!("{:?}: the suggestion breaks the file ({e}):\n{changed}", fixes[0])
        });
        for (path, value) in &fixes {
            let actual = at_path(&doc, path)
                .unwrap_or_else(|| panic!("{path} unset after the suggestion:\n{changed}"));
            assert!(
                sets(actual, value),
                "{path} after the suggestion is {actual}, not {value}:\n{changed}"
            );
        }
        for key in [
            "gateway.validation.failurePolicy",
            "gatewayProxies.gatewayProxy.kind.deployment.replicas",
            "gatewayProxies.gatewayProxy.podTemplate.runUnprivileged",
        ] {
            if !fixes.iter().any(|(path, _)| key.starts_with(path.as_str())) {
                assert_eq!(
                    at_path(&doc, key),
                    at_path(&before, key),
                    "{:?}: the suggestion changed {key}",
                    fixes[0]
                );
            }
        }
        checked += 1;
        combined += usize::from(fixes.len() > 1);
    }
    assert!(checked >= 8, "the comments carry suggestions: {checked} of {}", comments.len());
    assert!(
        combined >= 2,
        "the weak values put several fixes on one line: some suggestions combine them ({combined})"
    );
}

#[test]
fn the_suggestions_of_a_review_apply_together_and_fix_every_comment_they_name() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let fixed = batch_fixes(&repo, &gh, review_cmd(&repo, &gh));
    assert!(fixed >= 30, "the weak values get a comment per failing rule: {fixed}");
}

/// As above, on values that move or switch off what a declared fix sets (fixtures/values/user):
/// the fixes built for them (a key set to null, a custom Gateway block carrying the tracing,
/// a fix at the key the user set it) still apply as one batch and fix what they name.
#[test]
fn on_a_users_own_settings_the_suggestions_still_apply_together() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.17.38") else { return };
    let mut files: Vec<_> = std::fs::read_dir(root().join("fixtures/values/user"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let repo = Repo::with_values(&std::fs::read_to_string(&file).unwrap());
        let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
        let mut cmd = base_cmd(&repo, &gh);
        cmd.env("HELM_BIN", &helm).arg("review").arg(&chart).args(["-f", VALUES_PATH]);
        let fixed = batch_fixes(&repo, &gh, cmd);
        assert!(fixed > 0, "{}: no comment fixed", file.display());
    }
}

/// Runs a review of `repo`'s values as a new file, applies every suggestion as GitHub's batch
/// commit does, and asserts each comment with a fix (its own suggestion, or one another comment
/// carries) has it set in the result. Returns how many comments that was.
fn batch_fixes(repo: &Repo, gh: &FakeGitHub, mut review: Command) -> usize {
    run(&mut review);
    let comments = gh.review_comments();
    // What GitHub's "Add suggestion to batch" then "Commit suggestions" does with all of them.
    let changed = apply_all(&repo.values, comments.iter().filter_map(suggestion_of).collect());
    let doc: Value = yaml_serde::from_str(&changed)
        .unwrap_or_else(|e| panic!("the suggestions together break the file ({e}):\n{changed}"));
    let mut fixed = 0;
    for c in &comments {
        let body = c["body"].as_str().unwrap();
        let shared = body.contains("applies this fix too");
        if suggestion_of(c).is_none() && !shared {
            assert!(
                body.contains("No one-click suggestion") || !body.contains("Fix: set"),
                "a fix without a suggestion says why:\n{body}"
            );
            continue;
        }
        let (path, value) = &fixes_named(body)[0];
        let actual = at_path(&doc, path)
            .unwrap_or_else(|| panic!("{path} unset after all suggestions:\n{changed}"));
        assert!(
            sets(actual, value),
            "{path} is {actual} after all suggestions, not {value}:\n{changed}"
        );
        fixed += 1;
    }
    // No fix conflicts with another: the batch fixes every commented one.
    assert_eq!(fixed, comments.len(), "one batch fixes every commented finding");
    fixed
}

#[test]
fn a_values_patch_left_out_of_a_big_page_is_fetched_alone() {
    let repo = Repo::new();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    gh.state.lock().unwrap().patch_limit = true;
    run(&mut review_cmd(&repo, &gh));
    let routes = methods_and_routes(&gh.requests());
    assert_eq!(
        &routes[..2],
        [
            "GET /repos/octo/gw/pulls/7/files?per_page=100",
            "GET /repos/octo/gw/pulls/7/files?per_page=100&page=2",
        ]
    );
    // Which file's patch is missing and wanted is known once the findings are: its page of
    // one comes after the reads, before the review.
    let alone =
        routes.iter().position(|r| r == "GET /repos/octo/gw/pulls/7/files?per_page=1&page=150");
    let review = routes.iter().position(|r| r == "POST /repos/octo/gw/pulls/7/reviews");
    assert!(alone.is_some() && alone < review, "{routes:?}");
    assert_eq!(
        gh.review_comments().len(),
        30,
        "commented inline with the patch of the single-file page"
    );
}

/// A mapping fix of a block the file has changes only the lines it must, key by key (issue
/// 15, item 2: the block's comments and other keys stay): one line here, replaced by two.
#[test]
fn a_fix_merged_into_an_existing_block_changes_only_its_lines() {
    let weak = std::fs::read_to_string(root().join("fixtures/values/weak.yaml")).unwrap();
    let values = weak.replace(
        "      probes: false\n",
        "      probes: false\n      resources:\n        requests:\n          cpu: 10m\n",
    );
    let repo = Repo::with_values(&values);
    let (first, last) = (repo.line_of("requests:"), repo.line_of("cpu: 10m"));
    let gh = FakeGitHub::start("", pr_files(&repo.hunk_patch(first - 2, last)));
    run(&mut review_cmd(&repo, &gh));
    let review = gh
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.route().ends_with("/reviews"))
        .expect("a review")
        .json();
    let c = review["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["body"].as_str().unwrap().starts_with("**GLOO-012**"))
        .expect("GLOO-012 inline")
        .clone();
    assert_eq!(
        (
            c["start_line"].as_u64(),
            c["start_side"].as_str(),
            c["line"].as_u64(),
            c["side"].as_str()
        ),
        (None, None, Some(last as u64), Some("RIGHT"))
    );
    assert!(
        c["body"]
            .as_str()
            .unwrap()
            .contains("```suggestion\n          memory: 256Mi\n          cpu: 500m\n```"),
        "{}",
        c["body"]
    );
}

#[test]
fn a_clean_pr_gets_no_comment_and_a_fixed_one_gets_its_summary_updated() {
    let Some(helm) = common::helm_or_skip() else { return };
    let hardened = std::fs::read_to_string(root().join("fixtures/values/hardened.yaml")).unwrap();
    let repo = Repo::with_values(&hardened);
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let r = run(&mut review_chart_cmd(&repo, &gh, &helm));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        gh.requests().iter().all(|r| r.method == "GET"),
        "{:?}",
        methods_and_routes(&gh.requests())
    );
    // A PR whose earlier push failed: the summary is updated to say it is clean now.
    gh.state.lock().unwrap().issue_comments.push(json!({"id": 9, "body": "<!-- helm-harden:summary -->\n- **GLOO-004** (high) x on `Settings/default` <!-- helm-harden:fp=0123456789abcdef -->\n"}));
    assert_eq!(run(&mut review_chart_cmd(&repo, &gh, &helm)).code, 0);
    let body = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    assert!(body.contains("No hardening failure") && body.contains("- ~~**GLOO-004**"), "{body}");
}

/// A field the CRD prunes (VALUES-005), found in the render of the real chart, is a review
/// comment on the values line that holds it, with a one-click rename of that key.
#[test]
fn a_field_the_crd_prunes_is_renamed_in_one_click() {
    let Some(helm) = common::helm_or_skip() else { return };
    let Some(chart) = common::real_chart("1.17.38") else { return };
    let values = "gatewayProxies:\n  gatewayProxy:\n    gatewaySettings:\n      customHttpGateway:\n        options:\n          httpConnectionManagerSettings:\n            useRemoteAdress: true\n";
    let repo = Repo::with_values(values);
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let mut review = base_cmd(&repo, &gh);
    review.env("HELM_BIN", &helm).arg("review").arg(&chart).args(["-f", VALUES_PATH]);
    let r = run(&mut review);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let posted = gh
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.route().ends_with("/reviews"))
        .expect("a review")
        .json();
    let comment = posted["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["body"].as_str().unwrap().starts_with("**VALUES-005**"))
        .expect("VALUES-005 inline")
        .clone();
    assert_eq!(comment["path"], VALUES_PATH);
    assert_eq!(comment["line"], repo.line_of("useRemoteAdress") as u64);
    let body = comment["body"].as_str().unwrap();
    assert!(body.contains("the API server prunes it"), "{body}");
    assert!(
        body.contains("```suggestion\n            useRemoteAddress: true\n```"),
        "the key renamed on its line: {body}"
    );
}

/// A workspace that is not a git work tree (a container job without git, where
/// actions/checkout downloads a tarball) still gets its inline comments: the repository paths
/// come from `$GITHUB_WORKSPACE`.
#[test]
fn a_workspace_without_git_still_gets_inline_comments() {
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    // GIT_DIR at nothing: git fails here as it does without git or in a refused directory.
    let without = run(review_cmd(&repo, &gh).env("GIT_DIR", repo.path().join("no-git")));
    assert!(
        without.stderr.contains("not in a git work tree nor under $GITHUB_WORKSPACE"),
        "{}",
        without.stderr
    );
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let r = run(review_cmd(&repo, &gh)
        .env("GIT_DIR", repo.path().join("no-git"))
        .env("GITHUB_WORKSPACE", repo.path()));
    assert!(!r.stderr.contains("not in a git work tree"), "{}", r.stderr);
    let posted = gh
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.route().ends_with("/reviews"))
        .expect("a review with inline comments")
        .json();
    let comments = posted["comments"].as_array().unwrap();
    assert!(!comments.is_empty() && comments.iter().all(|c| c["path"] == VALUES_PATH), "{posted}");
}

/// In a GitHub Actions job, `review` writes its summary to the job summary too, unless told
/// not to (the action's own check step writes one).
#[test]
fn in_actions_the_review_summary_goes_to_the_job_summary_unless_told_not_to() {
    let repo = Repo::new();
    for (flag, expected) in [(None, true), (Some("--no-step-summary"), false)] {
        let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
        let summary = repo.path().join(format!("step-summary-{expected}.md"));
        let mut review = review_cmd(&repo, &gh);
        review.env("GITHUB_ACTIONS", "true").env("GITHUB_STEP_SUMMARY", &summary);
        if let Some(flag) = flag {
            review.arg(flag);
        }
        let r = run(&mut review);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let written = std::fs::read_to_string(&summary).unwrap_or_default();
        let posted = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
        if expected {
            assert_eq!(written, posted, "the job summary is the summary comment");
        } else {
            assert_eq!(written, "", "{flag:?}");
        }
    }
}

/// A repository whose last commit holds `common::base_and_change`'s base values, with its head
/// values in the work tree; and the head values.
fn base_and_change_repo() -> (Repo, String) {
    let git = |repo: &Repo, args: &[&str]| {
        let status = std::process::Command::new("git")
            .current_dir(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    let (base, head) = common::base_and_change();
    let repo = Repo::with_values(&base);
    git(&repo, &["add", "deploy/values.yaml"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    (Repo::with_values_in(repo, &head), head)
}

/// `review --base HEAD` of `repo`'s change with `helm`, its renders paired (`pair` "1") or not
/// ("0"), against a stand-in GitHub; fails unless it exits 1 (the change has failures). Returns
/// the stand-in, to read what was posted.
fn review_base(repo: &Repo, helm: &Path, pair: &str) -> FakeGitHub {
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let mut review = review_chart_cmd(repo, &gh, helm);
    review.args(["--base", "HEAD"]).env("HELM_HARDEN_PAIR_RENDERS", pair);
    let r = run(&mut review);
    assert_eq!(r.code, 1, "{}", r.stderr);
    gh
}

/// `review --base` posts the same review whether the head's two renders share one helm process
/// (as on a machine with fewer cores than renders) or not.
#[test]
fn review_against_the_base_is_the_same_with_its_renders_paired() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (repo, _) = base_and_change_repo();
    let posted = |pair: &str| {
        // A helm that logs each start: the base's render, then the head's two alone or paired.
        let logs = tempfile::tempdir().unwrap();
        let gh = review_base(&repo, &common::logging_helm(logs.path(), &helm, None), pair);
        (gh.issue_comments(), gh.review_comments(), common::templates_run(logs.path()))
    };
    let (comments, inline, alone) = posted("0");
    assert!(comments[0]["body"].as_str().unwrap().contains("**Change since HEAD ("));
    // Alone: the base, the head, the hardened render (and the hardened one again when the
    // predicted overlay is not the computed one, as with these values).
    assert!(alone >= 3, "{alone}");
    let (paired_comments, paired_inline, paired) = posted("1");
    assert_eq!(paired, alone - 1, "the head's two renders in one helm");
    assert_eq!((paired_comments, paired_inline), (comments, inline));
}

/// When the head's renders pair, the pair is the run's longest task: the base's render (and
/// the base side's git) run at the lowest CPU priority, the pair at the user's. Without a pair,
/// every render runs at the user's (`common::nice_logging_helm` logs each helm's nice value).
#[cfg(target_os = "linux")]
#[test]
fn review_against_the_base_yields_the_cpu_to_the_pair() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (repo, _) = base_and_change_repo();
    let starts = |pair: &str| {
        let logs = tempfile::tempdir().unwrap();
        review_base(&repo, &common::nice_logging_helm(logs.path(), &helm), pair);
        common::helm_starts(logs.path())
    };
    common::assert_yields_to_pair(&starts("1"), &starts("0"));
}

/// `review --base`: on a pull request that weakens one value, fixes another and adds a proxy
/// (`common::base_and_change`), the summary says what is new, what the change fixes and what
/// was there already, and shows what the change does to the render, for exactly the resources
/// it touches, above the hardened overlay's diff; `--fail-on-new` fails on the weakening
/// alone, and passes the same change without it.
#[test]
fn review_against_the_base_lists_new_fixed_and_existing() {
    let Some(helm) = common::helm_or_skip() else { return };
    let (repo, head) = base_and_change_repo();
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let mut review = review_chart_cmd(&repo, &gh, &helm);
    review.args(["--base", "HEAD"]);
    let r = run(&mut review);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let summary = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
    assert!(
        summary.contains("Against the base `HEAD (")
            && summary.contains("**1 new**, 1 fixed by this change, 2 existing"),
        "{summary}"
    );
    assert!(summary.contains("### Fixed by this change (1)\n\n- **GLOO-010**"), "{summary}");
    let new_line = summary.lines().find(|l| l.starts_with("- **GLOO-019**")).expect("GLOO-019");
    assert!(new_line.contains(", **new**)"), "{new_line}");
    for existing in ["- **GLOO-005**", "- **GLOO-014**"] {
        let line = summary.lines().find(|l| l.starts_with(existing)).expect(existing);
        assert!(!line.contains("**new**"), "{line}");
    }
    let change = summary.find("**Change since HEAD (").expect("the change's diff");
    let hardened_diff =
        summary.find("**Diff with the hardened overlay**").expect("then the overlay's");
    assert!(change < hardened_diff, "{summary}");
    let changed = common::resources_of_markdown_diff(&summary[change..hardened_diff]);
    let expected: Vec<(String, String)> = common::CHANGED_BY_THE_CHANGE
        .iter()
        .map(|(name, kind)| ((*name).to_string(), (*kind).to_string()))
        .collect();
    assert_eq!(changed, expected, "{summary}");
    // The gate on new failures: the weakening fails it.
    let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
    let mut gate = review_chart_cmd(&repo, &gh, &helm);
    gate.args(["--base", "HEAD", "--fail-on-new", "--comment", "off"]);
    assert_eq!(run(&mut gate).code, 1);
    // The same change without the weakening (the fix and the proxy, the known failures kept)
    // passes it; the plain gate still fails on the known ones.
    let unweakened = head.replace(
        "        # GLOO-019\n        replicas: 1",
        "        # GLOO-019\n        replicas: 2",
    );
    assert_ne!(unweakened, head);
    let repo = Repo::with_values_in(repo, &unweakened);
    for (flags, expected) in [(&["--fail-on-new"][..], 0), (&[][..], 1)] {
        let gh = FakeGitHub::start("", pr_files(&repo.added_patch()));
        let mut gate = review_chart_cmd(&repo, &gh, &helm);
        gate.args(["--base", "HEAD", "--comment", "off"]).args(flags);
        let r = run(&mut gate);
        assert_eq!(r.code, expected, "{flags:?}: {}{}", r.stdout, r.stderr);
    }
}
