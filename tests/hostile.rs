//! Hostile charts and planted secrets (issue 7): strings from the chart are escaped wherever they
//! go (terminal text, markdown, JSON), and Secret values appear in no output of any command, in any
//! format, nor in an error.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cmd() -> Command {
    let mut c = common::helm_harden();
    c.current_dir(root()).env_remove("HELM_BIN").env("NO_COLOR", "1");
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const CHART_ARGS: [&str; 4] = ["-n", "gloo-system", "--release", "gloo"];

/// A name carrying everything a hostile chart could try: a terminal escape sequence, an HTML tag,
/// an `@mention`, backticks, a table cell break and a bidi override (YAML double-quoted escapes).
const HOSTILE_NAME_YAML: &str = r#""\e[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u202E""#;

/// Asserts no raw terminal control or bidi override reached the output.
fn assert_terminal_safe(what: &str, out: &str) {
    assert!(!out.contains('\x1b'), "{what}: raw ESC in output");
    assert!(!out.contains('\u{9b}'), "{what}: raw CSI in output");
    assert!(!out.contains('\u{202e}'), "{what}: bidi override in output");
}

/// Markdown that renders no tag from the chart and pings nobody (outside code blocks, where
/// markdown is rendered), and whose code fences all close where they were meant to: right before
/// `</details>`.
fn assert_markdown_safe(out: &str) {
    let lines: Vec<&str> = out.lines().collect();
    let mut rendered = String::new();
    let mut i = 0;
    let mut blocks = 0;
    while i < lines.len() {
        if let Some(fence) =
            lines[i].strip_suffix("diff").filter(|f| f.len() >= 3 && f.chars().all(|c| c == '`'))
        {
            blocks += 1;
            let close = (i + 1..lines.len())
                .find(|&j| {
                    let l = lines[j].trim_start_matches(' ');
                    lines[j].len() - l.len() <= 3
                        && l.len() >= fence.len()
                        && l.trim_end().chars().all(|c| c == '`')
                        && !l.trim_end().is_empty()
                })
                .expect("every fence closes");
            assert_eq!(lines[close], fence, "closed by its own fence, not by a line of the body");
            assert_eq!(
                lines.get(close + 2).copied(),
                Some("</details>"),
                "the block ends right after the fence"
            );
            i = close + 1;
        } else {
            rendered.push_str(lines[i]);
            rendered.push('\n');
            i += 1;
        }
    }
    assert!(blocks > 0, "{out}");
    assert_eq!(blocks, out.matches("<details>").count());
    assert!(
        !rendered.contains("<script") && !rendered.contains("<img"),
        "no HTML tag from the chart:\n{rendered}"
    );
    for (i, _) in rendered.match_indices('@') {
        assert!(
            rendered[i + 1..].starts_with('\u{200b}'),
            "an @ not followed by a zero-width space: {}",
            &rendered[i..(i + 20).min(rendered.len())]
        );
    }
}

/// gloo-mini plus a ConfigMap with a hostile name and annotation that changes with the overlay.
fn hostile_chart(dir: &Path) -> PathBuf {
    let chart = dir.join("gloo");
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &chart);
    let template = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {HOSTILE_NAME_YAML}\n  namespace: {{{{ .Release.Namespace }}}}\n  annotations:\n    note: \"line one\\n```\\n</details>\\n@org/team <img src=x onerror=alert(1)>\\n\\e[2J done\"\ndata:\n  mode: \"{{{{ .Values.gateway.validation.alwaysAcceptResources }}}}\"\n  fence: \"````\"\n"
    );
    std::fs::write(chart.join("templates/hostile.yaml"), template).unwrap();
    chart
}

#[test]
fn hostile_names_through_diff_text_json_and_markdown() {
    let Some(helm) = common::helm_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let chart = hostile_chart(tmp.path());
    let diff = |format: &str| {
        let (code, out, err) = run(cmd()
            .env("HELM_BIN", &helm)
            .arg("diff")
            .arg(&chart)
            .args(CHART_ARGS)
            .args(["--format", format, "-C", "20"]));
        assert_eq!(code, 0, "{err}");
        assert_terminal_safe(&format!("diff --format {format} stderr"), &err);
        out
    };
    let text = diff("text");
    assert_terminal_safe("diff text", &text);
    assert!(text.contains("\u{fffd}[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u{fffd}, ConfigMap (v1) has changed:"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("@org")),
        "the annotation's lines stay inside the diff"
    );

    let json = diff("json");
    assert_terminal_safe("diff json", &json);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> =
        doc["resources"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(
        names.contains(&"\x1b[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u{202e}"),
        "JSON keeps the name exactly, escaped: {names:?}"
    );

    let markdown = diff("markdown");
    assert_markdown_safe(&markdown);
    // The summary line is raw HTML: entities, no backslash escapes (they would show).
    assert!(markdown.contains("<summary>gloo-system, \u{fffd}[31mred-&lt;script&gt;alert(1)&lt;/script&gt;-@\u{200b}org/team-`x`-|y\u{fffd}, ConfigMap (v1) has changed:</summary>"), "{markdown}");
}

/// The example render with the Settings object renamed to the hostile name.
fn hostile_settings_render() -> String {
    let render =
        std::fs::read_to_string(root().join("fixtures/manifests/gloo-mini-default.yaml")).unwrap();
    let at = render.find("kind: Settings").unwrap();
    let (head, tail) = render.split_at(at);
    format!(
        "{head}{}",
        tail.replacen("  name: default\n", &format!("  name: {HOSTILE_NAME_YAML}\n"), 1)
    )
}

#[test]
fn hostile_names_through_check_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let render = tmp.path().join("render.yaml");
    std::fs::write(&render, hostile_settings_render()).unwrap();
    for color in ["never", "always"] {
        let (code, out, err) =
            run(cmd().args(["check", "--all", "--color", color, "--manifests"]).arg(&render));
        assert_eq!(code, 1, "{err}");
        // With colour on, our own SGR codes are the only escapes: each ESC starts `ESC[<digits;>m`.
        let stripped = regex_free_strip_sgr(&out);
        assert_terminal_safe(&format!("check text, color {color}"), &stripped);
        assert!(stripped.contains("gloo-system/Settings/\u{fffd}[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u{fffd}"), "{stripped}");
    }
    let (_, out, _) =
        run(cmd().args(["check", "--all", "--format", "json", "--manifests"]).arg(&render));
    assert_terminal_safe("check json", &out);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["object"]["name"].as_str().unwrap().starts_with("\x1b[31mred-<script>")));
}

#[test]
fn hostile_names_through_github_annotations_and_sarif() {
    let tmp = tempfile::tempdir().unwrap();
    let render = tmp.path().join("render.yaml");
    std::fs::write(&render, hostile_settings_render()).unwrap();
    let (code, out, err) =
        run(cmd().args(["check", "--format", "github", "--manifests"]).arg(&render));
    assert_eq!(code, 1, "{err}");
    assert_terminal_safe("check github", &out);
    let settings: Vec<&str> = out.lines().filter(|l| l.contains("::Settings/")).collect();
    assert!(!settings.is_empty(), "{out}");
    for line in settings {
        assert!(line.contains("::Settings/gloo-system/\u{fffd}[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u{fffd}: "), "{line}");
    }
    assert!(out.lines().all(|l| l.starts_with("::")), "one command per line: {out}");

    let (_, out, _) = run(cmd().args(["check", "--format", "sarif", "--manifests"]).arg(&render));
    assert_terminal_safe("check sarif", &out);
    assert!(out.contains("|y\\u202e"), "bidi override as a \\u escape, as in the JSON report");
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["locations"][0]["logicalLocations"][0]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"\x1b[31mred-<script>alert(1)</script>-@org/team-`x`-|y\u{202e}"),
        "and decodes to the name: {names:?}"
    );
}

/// Removes the SGR sequences our own colouring writes (`ESC [ digits ; m`) and nothing else.
fn regex_free_strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let len = after.strip_prefix('[').and_then(|a| {
            a.find('m')
                .filter(|&m| a[..m].chars().all(|c| c.is_ascii_digit() || c == ';'))
                .map(|m| m + 2)
        });
        if let Some(n) = len {
            rest = &after[n..];
        } else {
            out.push('\x1b');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

// ---- secrets ----------------------------------------------------------------------------------

/// Values planted in Secrets: as stringData, as base64 data (and fragments of that base64), in a
/// duplicated key, in a multi-line value.
const PLANTED: [&str; 8] = [
    "planted-password",
    "planted-static",
    "planted-token",
    "planted-dup",
    "planted-multi",
    "planted-in-list",
    "cGxhbnRlZC",
    "bGFudGVk",
];

fn chart_with_secrets(dir: &Path) -> PathBuf {
    let chart = dir.join("gloo");
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &chart);
    std::fs::write(
        chart.join("templates/secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: upstream-credentials\n  namespace: {{ .Release.Namespace }}\ntype: Opaque\ndata:\n  password: {{ printf \"planted-password-%v\" .Values.gateway.validation.alwaysAcceptResources | b64enc }}\n  static: {{ \"planted-static-secret\" | b64enc }}\nstringData:\n  token: planted-token-{{ .Values.gateway.validation.alwaysAcceptResources }}\n  dup: planted-dup-1\n  dup: planted-dup-2\n  multi: |\n    planted-multi-line-1\n    planted-multi-line-2-{{ .Values.gateway.validation.alwaysAcceptResources }}\n",
    )
    .unwrap();
    // A Secret as an item of a `kind: List`.
    std::fs::write(
        chart.join("templates/secret-list.yaml"),
        "apiVersion: v1\nkind: List\nmetadata:\n  name: credentials-list\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: listed-credentials\n    namespace: {{ .Release.Namespace }}\n    labels: {mode: \"{{ .Values.gateway.validation.alwaysAcceptResources }}\"}\n  stringData:\n    token: planted-in-list-{{ .Values.gateway.validation.alwaysAcceptResources }}\n",
    )
    .unwrap();
    chart
}

fn assert_no_secret(what: &str, out: &str, err: &str) {
    for p in PLANTED {
        assert!(!out.contains(p), "{p} leaked on stdout of {what}");
        assert!(!err.contains(p), "{p} leaked on stderr of {what}");
    }
}

#[test]
fn secret_values_appear_in_no_output_of_any_command_or_format() {
    let Some(helm) = common::helm_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let chart = chart_with_secrets(tmp.path());
    let runs: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "text", "--all"],
        vec!["check", "--format", "json", "--all"],
        vec!["check", "--format", "text", "--all", "--diff", "-C", "50"],
        vec!["check", "--format", "json", "--all", "--diff", "-C", "50"],
        vec!["overlay"],
        vec!["overlay", "--all"],
        vec!["diff", "--format", "text", "-C", "50"],
        vec!["diff", "--format", "json", "-C", "50"],
        vec!["diff", "--format", "markdown", "-C", "50"],
        vec!["diff", "--all", "--format", "text", "-C", "50"],
        vec!["check", "--format", "sarif", "--all"],
        vec!["check", "--format", "github", "--diff", "-C", "50"],
        vec!["check", "--format", "text", "--diff", "--step-summary", "--sarif-file", "SARIF"],
    ];
    let summary = tmp.path().join("step-summary.md");
    let sarif = tmp.path().join("out.sarif");
    for args in runs {
        let what = args.join(" ");
        let args: Vec<String> = args
            .iter()
            .map(|a| if *a == "SARIF" { sarif.display().to_string() } else { a.to_string() })
            .collect();
        let (code, out, err) = run(cmd()
            .env("HELM_BIN", &helm)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .arg(&args[0])
            .arg(&chart)
            .args(CHART_ARGS)
            .args(&args[1..]));
        assert!(code == 0 || code == 1, "{what}: exit {code}: {err}");
        assert!(!out.is_empty(), "{what} printed a report");
        assert_no_secret(&what, &out, &err);
        // The job summary and the SARIF file too.
        for file in [&summary, &sarif] {
            let written = std::fs::read_to_string(file).unwrap_or_default();
            assert_no_secret(&format!("{what} -> {}", file.display()), &written, "");
        }
        if args[0] == "diff" {
            assert!(
                out.contains("upstream-credentials"),
                "{what}: the Secret changed and is shown (redacted)"
            );
            assert!(
                out.contains("listed-credentials"),
                "{what}: the Secret inside a List changed and is shown on its own (redacted)"
            );
        }
    }
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.contains("upstream-credentials"),
        "the job summary carried the diff with the (redacted) Secret"
    );
    assert!(
        std::fs::read_to_string(&sarif).unwrap().contains("\"version\": \"2.1.0\""),
        "the SARIF file was written"
    );
    // The one way to see them is to ask.
    let (_, out, _) = run(cmd()
        .env("HELM_BIN", &helm)
        .arg("diff")
        .arg(&chart)
        .args(CHART_ARGS)
        .arg("--show-secrets"));
    assert!(
        out.contains("planted-token") && out.contains("planted-in-list"),
        "--show-secrets prints them"
    );
}

#[test]
fn a_secret_that_does_not_parse_is_not_quoted_in_the_error() {
    let broken = [
        "stringData:\n  token: \"planted-token-unterminated\n",
        "stringData:\n  token: planted-token: with-colon\n",
        "stringData:\n  token: [planted-token, unclosed\n",
        "data:\n  password: {planted-password\n",
        "stringData:\n  token: planted-token\n\tdup: planted-dup\n",
        "stringData:\n  multi: |\n    planted-multi\n   planted-multi-bad-indent: x\n  - planted-dup\n",
        "data:\n  password: *planted-password\n",
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (i, tail) in broken.iter().enumerate() {
        let render = format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n{tail}");
        let path = tmp.path().join(format!("render-{i}.yaml"));
        std::fs::write(&path, &render).unwrap();
        let (code, out, err) = run(cmd().args(["check", "--manifests"]).arg(&path));
        assert_eq!(code, 2, "case {i} is an error: {out}{err}");
        assert!(
            err.starts_with(&format!("error: {}:", path.display())),
            "case {i} names the file and line: {err}"
        );
        assert_no_secret(&format!("broken Secret {i}"), &out, &err);
    }
}
