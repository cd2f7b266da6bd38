//! action.yml run the way the GitHub runner runs a composite action: inputs (with their
//! defaults) reach the steps only through `${{ }}` in `env:` and `if:`, each `run:` goes to
//! `bash --noprofile --norc -eo pipefail`, and `GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_ENV` and
//! `GITHUB_STEP_SUMMARY` are files the runner reads after each step.
//!
//! Each run has its own `XDG_CACHE_HOME` under its temp dir (the environment is cleared, as
//! the runner's is not the test's), so helm-harden's render cache is private to the run.
//!
//! helm and helm-harden are put on PATH first, so the install steps must find them and do
//! nothing (a `uses:` step that would run is a test failure: it would need the network).
//!
//! The review step runs against the mock GitHub REST API of tests/common/github_mock.rs (the
//! one tests/review.rs uses): the job's environment points `GITHUB_EVENT_PATH`,
//! `GITHUB_REPOSITORY` and `GITHUB_API_URL` at it, the token is `github.token` through the
//! `github-token` input's default, and the tests assert the exact requests the pull request
//! receives. The other tests run with `comment: off`.

mod common;

use common::github_mock::{
    fingerprint, methods_and_routes, pr_files, FakeGitHub, Repo, HEAD_SHA, MERGE_SHA, PR_NUMBER,
    REPOSITORY, VALUES_PATH,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Value {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    yaml_serde::from_str(&text).expect("action.yml parses")
}

const FAKE_TOKEN: &str = "ghs_fakeTokenForTheActionTest0123456789";

/// What one run of the action produced.
#[derive(Debug, Default)]
struct Run {
    exit_code: i32,
    outputs: BTreeMap<String, String>,
    step_outputs: BTreeMap<String, BTreeMap<String, String>>,
    ran: Vec<String>,
    skipped: Vec<String>,
    stdout: String,
    stderr: String,
    summary: String,
    /// Entries in the run's private render cache (`$XDG_CACHE_HOME/helm-harden/renders`).
    cached_renders: usize,
}

struct Runner {
    action: Value,
    inputs: BTreeMap<String, String>,
    temp: tempfile::TempDir,
    path: Vec<PathBuf>,
    env: BTreeMap<String, String>,
    /// `github.action_repository`, `github.action_ref`: empty for a local action (`uses: ./`).
    action_repository: String,
    action_ref: String,
    server_url: String,
    /// The job ends before this step (one that would need the network, for example).
    stop_before: Option<String>,
    /// The inputs the workflow gave (the others take their defaults).
    given: Vec<String>,
    run: Run,
}

impl Runner {
    fn new(given: &[(&str, &str)]) -> Runner {
        let action = action();
        let temp = tempfile::tempdir().unwrap();
        let mut runner = Runner {
            action: action.clone(),
            inputs: BTreeMap::new(),
            temp,
            path: vec![],
            env: BTreeMap::new(),
            action_repository: String::new(),
            action_ref: String::new(),
            server_url: "https://github.com".into(),
            stop_before: None,
            given: given.iter().map(|(n, _)| (*n).to_string()).collect(),
            run: Run::default(),
        };
        // The runner fills every declared input: given, else its default (an expression).
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let value = match given.iter().find(|(n, _)| n == name) {
                Some((_, v)) => v.to_string(),
                None => runner.substitute(spec["default"].as_str().unwrap_or("")),
            };
            runner.inputs.insert(name.clone(), value);
        }
        for (name, _) in given {
            assert!(runner.inputs.contains_key(*name), "action.yml has no input {name}");
        }
        runner
    }

    /// The value of a context path or a literal, as the runner evaluates it.
    fn value(&self, expr: &str) -> String {
        let expr = expr.trim();
        if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return lit.replace("''", "'");
        }
        let parts: Vec<&str> = expr.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => {
                self.inputs.get(*name).unwrap_or_else(|| panic!("undeclared input {name}")).clone()
            }
            ["steps", id, "outputs", name] => self
                .run
                .step_outputs
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["github", "action_path"] => root().display().to_string(),
            ["github", "token"] => FAKE_TOKEN.to_string(),
            ["github", "action_ref"] => self.action_ref.clone(),
            ["github", "action_repository"] => self.action_repository.clone(),
            ["github", "server_url"] => self.server_url.clone(),
            // From the event file, as the runner reads `github.event` (empty off a PR).
            ["github", "event", path @ ..] => self
                .env
                .get("GITHUB_EVENT_PATH")
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .and_then(|event| path.iter().try_fold(event, |v, key| v.get(*key).cloned()))
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            ["runner", "temp"] => self.runner_temp().display().to_string(),
            ["runner", "os"] => "Linux".into(),
            ["runner", "arch"] => "X64".into(),
            _ => panic!("expression the test runner does not model: {expr}"),
        }
    }

    /// `a`, `a == b`, `a != b` (what action.yml uses).
    fn evaluate(&self, expr: &str) -> String {
        if let Some((a, b)) = expr.split_once("!=") {
            return (self.value(a) != self.value(b)).to_string();
        }
        if let Some((a, b)) = expr.split_once("==") {
            return (self.value(a) == self.value(b)).to_string();
        }
        self.value(expr)
    }

    /// Replaces every `${{ expr }}` in `text`.
    fn substitute(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unclosed ${{") + start;
            out.push_str(&self.evaluate(&rest[start + 3..end]));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn condition(&self, step: &Value) -> bool {
        match step.get("if").and_then(Value::as_str) {
            None => true,
            Some(cond) => {
                let cond = cond.trim();
                let cond =
                    cond.strip_prefix("${{").and_then(|c| c.strip_suffix("}}")).unwrap_or(cond);
                self.evaluate(cond) == "true"
            }
        }
    }

    fn cache_home(&self) -> PathBuf {
        self.temp.path().join("xdg-cache")
    }

    fn runner_temp(&self) -> PathBuf {
        self.temp.path().join("runner-temp")
    }

    fn execute(
        mut self,
        workspace: &Path,
        base_path: &[PathBuf],
        extra_env: &[(&str, &str)],
    ) -> Run {
        std::fs::create_dir_all(self.runner_temp()).unwrap();
        self.path = base_path.to_vec();
        for (k, v) in extra_env {
            self.env.insert(k.to_string(), v.to_string());
        }
        // Defaults that read the job's context (`github.event`) see its environment, as the
        // runner's do.
        for (name, spec) in self.action["inputs"].clone().as_object().unwrap() {
            let default = spec["default"].as_str().unwrap_or("");
            if default.contains("github.event") && !self.given.contains(name) {
                let value = self.substitute(default);
                self.inputs.insert(name.clone(), value);
            }
        }
        let steps = self.action["runs"]["steps"].as_array().unwrap().clone();
        for (i, step) in steps.iter().enumerate() {
            let name = step["name"].as_str().unwrap_or("").to_string();
            if self.stop_before.as_deref() == Some(name.as_str()) {
                break;
            }
            if !self.condition(step) {
                self.run.skipped.push(name);
                continue;
            }
            if let Some(uses) = step.get("uses") {
                panic!("step `{name}` would run {uses}, which needs the network: the install steps must be no-ops when helm-harden is on PATH");
            }
            self.run.ran.push(name.clone());
            let dir = self.temp.path().join(format!("step-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let files =
                ["GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"].map(|f| {
                    let p = dir.join(f);
                    std::fs::write(&p, "").unwrap();
                    (f, p)
                });
            assert_eq!(step["shell"], "bash", "composite run steps need shell: bash");
            let script = dir.join("script.sh");
            std::fs::write(&script, step["run"].as_str().unwrap()).unwrap();
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(workspace)
                .env_clear();
            let mut dirs = self.path.clone();
            // The machine's tools (bash, jq, curl, tar), but not a helm-harden installed on it:
            // each test decides which helm-harden the action finds.
            let machine = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .filter(|d| !d.join("helm-harden").exists())
                .collect::<Vec<_>>();
            dirs.extend(machine);
            let path = std::env::join_paths(dirs).unwrap();
            cmd.env("PATH", path).env("HOME", std::env::var_os("HOME").unwrap_or_default());
            cmd.env("GITHUB_ACTIONS", "true")
                .env("RUNNER_TEMP", self.runner_temp())
                .env("GITHUB_EVENT_NAME", "pull_request");
            // The render cache of this run only, never the user's ~/.cache.
            cmd.env("XDG_CACHE_HOME", self.cache_home());
            if let Some(helm) = std::env::var_os("HELM_BIN") {
                cmd.env("HELM_BIN", helm);
            }
            for (k, v) in &self.env {
                cmd.env(k, v);
            }
            for (f, p) in &files {
                cmd.env(f, p);
            }
            if let Some(env) = step.get("env").and_then(Value::as_object) {
                for (k, v) in env {
                    cmd.env(k, self.substitute(v.as_str().unwrap()));
                }
            }
            let out = cmd.output().unwrap();
            self.run.stdout.push_str(&String::from_utf8_lossy(&out.stdout));
            self.run.stderr.push_str(&String::from_utf8_lossy(&out.stderr));
            let read = |f: &str| {
                std::fs::read_to_string(&files.iter().find(|(n, _)| *n == f).unwrap().1).unwrap()
            };
            if let Some(id) = step.get("id").and_then(Value::as_str) {
                self.run
                    .step_outputs
                    .insert(id.to_string(), parse_key_values(&read("GITHUB_OUTPUT")));
            }
            for line in read("GITHUB_PATH").lines().filter(|l| !l.is_empty()) {
                // Later additions come first on PATH.
                self.path.insert(0, PathBuf::from(line));
            }
            self.env.extend(parse_key_values(&read("GITHUB_ENV")));
            self.run.summary.push_str(&read("GITHUB_STEP_SUMMARY"));
            let code = out.status.code().unwrap_or(-1);
            if code != 0 {
                // The job stops at the first failing step (every step here runs on success()).
                self.run.exit_code = code;
                break;
            }
        }
        self.run.cached_renders = std::fs::read_dir(self.cache_home().join("helm-harden/renders"))
            .map_or(0, std::iter::Iterator::count);
        let outputs = self.action["outputs"].as_object().unwrap().clone();
        for (name, spec) in outputs {
            let value = self.substitute(spec["value"].as_str().unwrap());
            self.run.outputs.insert(name, value);
        }
        self.run
    }
}

/// `name=value` lines and `name<<DELIM ... DELIM` blocks, as in `GITHUB_OUTPUT` / `GITHUB_ENV`.
fn parse_key_values(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            map.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            map.insert(name.to_string(), value.to_string());
        }
    }
    map
}

/// helm-harden (the test build) and helm, on PATH as a runner with both installed has them.
/// None (after printing why the test skips) without helm, as the other helm tests do.
fn tools_path() -> Option<Vec<PathBuf>> {
    let helm = common::helm_or_skip()?;
    let helm_dir = std::fs::canonicalize(&helm).unwrap().parent().unwrap().to_path_buf();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_helm-harden")).parent().unwrap().to_path_buf();
    Some(vec![helm_dir, bin_dir])
}

#[test]
fn run_scripts_take_inputs_only_through_env() {
    let action = action();
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut referenced = std::collections::BTreeSet::new();
    for step in steps {
        if let Some(run) = step.get("run").and_then(Value::as_str) {
            assert!(!run.contains("${{ inputs."), "script injection: {run}");
            assert!(!run.contains("${{"), "expressions belong in env:, not in run: {run}");
        }
        let text =
            serde_json::to_string(&[step.get("env"), step.get("if"), step.get("with")]).unwrap();
        for name in action["inputs"].as_object().unwrap().keys() {
            if text.contains(&format!("inputs.{name} "))
                || text.contains(&format!("inputs.{name}}}"))
                || text.contains(&format!("inputs.{name}\""))
            {
                referenced.insert(name.clone());
            }
        }
    }
    let declared: std::collections::BTreeSet<String> =
        action["inputs"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(referenced, declared, "every input is used, and only through env: / if:");
    for name in [
        "chart",
        "values",
        "set",
        "namespace",
        "release",
        "config",
        "overlay",
        "fail-on",
        "comment",
        "sarif-file",
        "github-token",
        "version",
    ] {
        assert!(declared.contains(name), "input {name}");
    }
    assert_eq!(action["inputs"]["github-token"]["default"], "${{ github.token }}");
    assert_eq!(action["inputs"]["comment"]["default"], "review");
    let outputs: Vec<&String> = action["outputs"].as_object().unwrap().keys().collect();
    assert_eq!(outputs, ["failures", "sarif-file"]);
    assert_eq!(action["runs"]["using"], "composite");
}

#[test]
fn the_action_annotates_summarises_writes_sarif_and_exits_by_the_findings() {
    let Some(tools) = tools_path() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A second values file, with a space in its path, that weakens one more point: its finding
    // must point at it.
    let extra = dir.path().join("env values/extra values.yaml");
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(&extra, "gateway:\n  validation:\n    allowWarnings: true\n").unwrap();
    // In a directory that does not exist yet: the action creates it.
    let sarif = dir.path().join("out dir/helm-harden.sarif");
    let pwned = dir.path().join("PWNED");
    let values = format!("  fixtures/values/weak.yaml\n\n{}  \n", extra.display());
    // Replicas set to 3 (GLOO-019 passes); the second line would run a command if any step
    // handed input text to the shell as code.
    let set = format!(
        "gatewayProxies.gatewayProxy.kind.deployment.replicas=3\nhhProbe=$(touch {})`touch {}`\n",
        pwned.display(),
        pwned.display()
    );
    let sarif_input = sarif.display().to_string();
    let run = Runner::new(&[
        ("chart", "fixtures/charts/gloo-mini"),
        ("values", &values),
        ("set", &set),
        ("namespace", "gloo-system"),
        ("release", "gloo"),
        ("fail-on", "high"),
        ("comment", "off"),
        ("sarif-file", &sarif_input),
    ])
    .execute(root(), &tools, &[]);

    assert_eq!(
        run.exit_code, 1,
        "high failures remain: the action fails\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(!pwned.exists(), "an input was run as shell code");
    assert_eq!(
        run.skipped,
        ["Restore the helm-harden build", "Build helm-harden", "Review the pull request"],
        "ran: {:?}",
        run.ran
    );
    assert_eq!(run.step_outputs["find"]["found"], "true");
    assert!(
        !run.stderr.contains(FAKE_TOKEN)
            && !run.stdout.contains(FAKE_TOKEN)
            && !run.summary.contains(FAKE_TOKEN)
    );

    // SARIF written where asked, and the outputs.
    assert_eq!(run.outputs["sarif-file"], sarif_input);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(run.outputs["failures"], results.len().to_string());
    assert!(results.iter().all(|r| r["ruleId"] != "GLOO-019"), "--set reached helm");

    // Annotations: the weak file's lines and the extra file (path with spaces) both appear.
    let annotations: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert!(annotations.iter().any(|l| l.starts_with("::error file=fixtures/values/weak.yaml,line=5,title=GLOO-004 ")), "{}", run.stdout);
    assert!(
        annotations.iter().any(|l| l.contains(&format!("(add under {})", extra.display()))),
        "{}",
        run.stdout
    );
    assert!(annotations.len() <= 31, "at most 10 per level and the overflow notice");
    // The extra file's finding sits on its line in the SARIF (its path percent-encoded).
    let g5 = results
        .iter()
        .find(|r| r["ruleId"] == "GLOO-005")
        .expect("GLOO-005 from the extra values file");
    let physical = &g5["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        format!("file://{}", extra.display().to_string().replace(' ', "%20"))
    );
    assert_eq!(physical["region"]["startLine"], 3);

    // The job summary: counts, the table, the diff (overlay defaults to true).
    assert!(
        run.summary.starts_with("### helm-harden: gloo (gloo 1.17.0)\n\n**"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("| GLOO-004 | high | Settings/gloo-system/default | "),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains("<details><summary>Diff with the hardened overlay"),
        "{}",
        run.summary
    );
}

#[test]
fn a_clean_chart_passes_and_an_error_stops_the_action() {
    let Some(tools) = tools_path() else { return };
    // Nothing at or above `high` once the high failures are fixed through --set and values.
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("x.sarif").display().to_string();
    let run = Runner::new(&[
        ("chart", "fixtures/charts/gloo-mini"),
        ("values", "fixtures/values/hardened.yaml"),
        ("fail-on", "high"),
        ("overlay", "false"),
        ("comment", "off"),
        ("sarif-file", &sarif),
    ])
    .execute(root(), &tools, &[]);
    assert_eq!(run.exit_code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(!run.summary.contains("<details>"), "overlay: false skips the diff");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let unsuppressed = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .count();
    assert_eq!(run.outputs["failures"], unsuppressed.to_string());

    let run = Runner::new(&[
        ("chart", "fixtures/charts/gloo-mini"),
        ("values", "no/such values.yaml"),
        ("comment", "off"),
        ("sarif-file", &sarif),
    ])
    .execute(root(), &tools, &[]);
    assert_eq!(run.exit_code, 2);
    assert!(run.stderr.contains("no/such values.yaml"), "{}", run.stderr);
    assert!(
        run.stdout.contains("::error title=helm-harden::helm-harden check failed (exit 2)"),
        "{}",
        run.stdout
    );
    assert_eq!(run.outputs["failures"], "", "no count after an error");
    assert!(!run.ran.contains(&"Exit by the findings".to_string()));
}

/// The bodies of the ```` ```yaml ```` blocks of a markdown text, in order.
fn yaml_blocks(markdown: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + "```yaml\n".len()..];
        let end = body.find("```").expect("a yaml block is closed");
        blocks.push(&body[..end]);
        rest = &body[end + 3..];
    }
    blocks
}

/// The example workflow of the GitHub Action section (docs/review-and-action.md, moved there
/// from the README): the permissions it needs, every input it passes declared in action.yml, and
/// the SARIF upload reading the file the action writes.
#[test]
fn the_documented_workflow_uses_the_action_as_declared() {
    let page = std::fs::read_to_string(root().join("docs/review-and-action.md")).unwrap();
    let section = &page[page
        .find("## GitHub Action")
        .expect("docs/review-and-action.md has a GitHub Action section")..];
    let workflow: Value = yaml_serde::from_str(
        yaml_blocks(section).into_iter().find(|b| b.contains("jobs:")).expect("a workflow"),
    )
    .expect("the workflow parses");
    assert!(workflow["on"].get("pull_request").is_some());
    assert_eq!(
        workflow["permissions"],
        serde_json::json!({"contents": "read", "pull-requests": "write", "security-events": "write"})
    );
    let steps = workflow["jobs"]["harden"]["steps"].as_array().unwrap();
    let ours = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.contains("/helm-harden@")))
        .unwrap();
    let inputs = action()["inputs"].as_object().unwrap().clone();
    for key in ours["with"].as_object().unwrap().keys() {
        assert!(inputs.contains_key(key), "the docs pass an input action.yml lacks: {key}");
    }
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"].as_str().is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    assert_eq!(upload["with"]["sarif_file"], ours["with"]["sarif-file"]);
}

/// Every use of the action shown in README.md and docs/*.md (a whole workflow or a few steps)
/// passes only inputs action.yml declares.
#[test]
fn every_documented_use_of_the_action_passes_declared_inputs() {
    fn uses_of_the_action<'a>(v: &'a Value, found: &mut Vec<&'a Value>) {
        match v {
            Value::Object(map) => {
                if map
                    .get("uses")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.contains("/helm-harden@"))
                {
                    found.push(v);
                }
                map.values().for_each(|child| uses_of_the_action(child, found));
            }
            Value::Array(items) => items.iter().for_each(|child| uses_of_the_action(child, found)),
            _ => {}
        }
    }
    let inputs = action()["inputs"].as_object().unwrap().clone();
    let mut pages = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for block in yaml_blocks(&text).into_iter().filter(|b| b.contains("/helm-harden@")) {
            let doc: Value = yaml_serde::from_str(block)
                .unwrap_or_else(|e| panic!("{}: a yaml block does not parse: {e}", page.display()));
            let mut found = Vec::new();
            uses_of_the_action(&doc, &mut found);
            for step in found {
                for key in step["with"].as_object().into_iter().flat_map(|w| w.keys()) {
                    assert!(
                        inputs.contains_key(key),
                        "{} passes an input action.yml lacks: {key}",
                        page.display()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "the README and docs/review-and-action.md both show the action");
}

/// `helm-harden init --write` in a repository, then the action run with the inputs of the
/// workflow it wrote: every target and value set of the config, in one run, with the config's
/// namespace (a matrix of explicit charts once dropped it, and its jobs' reviews undid each
/// other's comments).
#[test]
fn the_init_workflow_checks_every_value_set_of_the_config_in_one_run() {
    let Some(tools) = tools_path() else { return };
    let repo = tempfile::tempdir().unwrap();
    let ws = repo.path();
    common::copy_dir(&root().join("fixtures/charts/gloo-mini"), &ws.join("deploy/gloo"));
    for (env, fixture) in [("prod", "weak.yaml"), ("dev", "hardened.yaml")] {
        std::fs::create_dir_all(ws.join(format!("deploy/envs/{env}"))).unwrap();
        std::fs::copy(
            root().join("fixtures/values").join(fixture),
            ws.join(format!("deploy/envs/{env}/values.yaml")),
        )
        .unwrap();
    }
    let init = common::helm_harden().current_dir(ws).args(["init", "--write"]).output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    // The namespace a user adds to the generated config, as its comment says.
    let config = std::fs::read_to_string(ws.join(".helm-harden.yaml"))
        .unwrap()
        .replace("# namespace: gloo-system", "namespace: gloo-system");
    std::fs::write(ws.join(".helm-harden.yaml"), config).unwrap();

    let workflow: Value = yaml_serde::from_str(
        &std::fs::read_to_string(ws.join(".github/workflows/helm-harden.yml")).unwrap(),
    )
    .unwrap();
    let steps = workflow["jobs"]["helm-harden"]["steps"].as_array().unwrap();
    let ours = steps
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.contains("/helm-harden@")))
        .unwrap();
    // The ref is the major tag the release workflow moves (`${TAG%%.*}`) for this version.
    assert!(
        ours["uses"].as_str().unwrap().ends_with(&format!("@v{}", env!("CARGO_PKG_VERSION_MAJOR"))),
        "{}",
        ours["uses"]
    );
    let with: Vec<(String, String)> = ours["with"]
        .as_object()
        .unwrap()
        .iter()
        // The token is the runner's; no pull request here, so no review either.
        .filter(|(k, _)| *k != "github-token")
        .map(|(k, v)| {
            (
                k.clone(),
                if k == "comment" { "off".to_string() } else { v.as_str().unwrap().to_string() },
            )
        })
        .collect();
    let with: Vec<(&str, &str)> = with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = Runner::new(&with).execute(ws, &tools, &[]);

    assert_eq!(
        run.exit_code, 1,
        "prod's weak values fail at the config's fail-on\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(ws.join(ours["with"]["sarif-file"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let prod =
        results.iter().find(|r| r["ruleId"] == "GLOO-004").expect("GLOO-004 from prod's values");
    assert_eq!(
        prod["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/envs/prod/values.yaml"
    );
    // Both value sets in the one job summary, rendered into the config's namespace.
    for set in ["prod", "dev"] {
        assert!(
            run.summary.contains(&format!("### helm-harden: gloo (gloo 1.17.0) [gloo/{set}]")),
            "value set {set} missing:\n{}",
            run.summary
        );
    }
    assert!(
        run.summary.contains("Settings/gloo-system/default"),
        "rendered into the config's namespace:\n{}",
        run.summary
    );
}

/// The job environment of a `pull_request` run on the mock's pull request (the runner sets
/// these; `GITHUB_EVENT_NAME` is always `pull_request` in this runner).
fn pull_request_env(repo: &Repo, gh: &FakeGitHub) -> Vec<(String, String)> {
    [
        ("GITHUB_EVENT_PATH", repo.path().join("event.json").display().to_string()),
        ("GITHUB_REPOSITORY", REPOSITORY.to_string()),
        ("GITHUB_API_URL", gh.url.clone()),
        ("GITHUB_SERVER_URL", "https://github.example".to_string()),
        ("GITHUB_RUN_ID", "99".to_string()),
        ("GITHUB_SHA", MERGE_SHA.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs the action in `repo` on the pull request the mock serves.
fn run_on_pull_request(
    repo: &Repo,
    gh: &FakeGitHub,
    tools: &[PathBuf],
    inputs: &[(&str, &str)],
) -> Run {
    let env = pull_request_env(repo, gh);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let run = Runner::new(inputs).execute(repo.path(), tools, &env);
    assert_no_token(&run, gh);
    run
}

/// The token reaches GitHub in the Authorization header only: never in the log, the job
/// summary, the outputs or a request body.
fn assert_no_token(run: &Run, gh: &FakeGitHub) {
    assert!(!run.stdout.contains(FAKE_TOKEN), "the token leaked on stdout:\n{}", run.stdout);
    assert!(!run.stderr.contains(FAKE_TOKEN), "the token leaked on stderr:\n{}", run.stderr);
    assert!(
        !run.summary.contains(FAKE_TOKEN),
        "the token leaked in the job summary:\n{}",
        run.summary
    );
    for (step, outputs) in &run.step_outputs {
        assert!(
            outputs.values().all(|v| !v.contains(FAKE_TOKEN)),
            "the token leaked in the outputs of step {step}"
        );
    }
    assert!(
        run.outputs.values().all(|v| !v.contains(FAKE_TOKEN)),
        "the token leaked in the action's outputs"
    );
    for r in gh.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {FAKE_TOKEN}").as_str()),
            "{} {}",
            r.method,
            r.target
        );
        assert!(
            !r.body.contains(FAKE_TOKEN) && !r.target.contains(FAKE_TOKEN),
            "the token in a request: {} {}",
            r.method,
            r.target
        );
    }
}

fn gloo_mini() -> String {
    root().join("fixtures/charts/gloo-mini").display().to_string()
}

/// A patch that turns two hardened validation settings of `repo`'s values file into the weak
/// ones (lines 5 and 6), with a line of context either side plus the `gateway:` line: lines
/// 3..=7 of the new file are in the diff, the rest of the file is not.
fn weakening_patch(repo: &Repo) -> (String, std::ops::RangeInclusive<usize>) {
    let (first, last) = (repo.line_of("gateway:"), repo.line_of("gatewayProxies:"));
    let lines: Vec<&str> = repo.values.lines().collect();
    assert_eq!((first, last), (3, 7), "fixtures/values/weak.yaml's line numbers moved");
    assert_eq!(&lines[4..6], ["    alwaysAcceptResources: true", "    failurePolicy: Ignore"]);
    let patch = format!(
        "@@ -3,5 +3,5 @@\n {}\n {}\n-    alwaysAcceptResources: false\n-    failurePolicy: Fail\n+{}\n+{}\n {}",
        lines[2], lines[3], lines[4], lines[5], lines[6]
    );
    (patch, first..=last)
}

#[test]
fn the_action_reviews_the_pull_request_through_the_github_api() {
    let Some(tools) = tools_path() else { return };
    // A repository whose pull request weakens deploy/values.yaml (the weak fixture) on lines
    // 5 and 6; the mock serves that patch on the second page of the files list.
    let repo = Repo::new();
    let (patch, in_diff) = weakening_patch(&repo);
    let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&patch));
    let chart = gloo_mini();
    let inputs = [
        ("chart", chart.as_str()),
        ("values", VALUES_PATH),
        ("fail-on", "high"),
        ("comment", "review"),
    ];
    let run = run_on_pull_request(&repo, &gh, &tools, &inputs);

    // Findings at `high` remain: the action fails by the findings, after the review.
    assert_eq!(run.exit_code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.skipped,
        ["Restore the helm-harden build", "Build helm-harden"],
        "ran: {:?}",
        run.ran
    );
    assert!(
        run.ran.ends_with(&[
            "Check".to_string(),
            "Review the pull request".to_string(),
            "Exit by the findings".to_string()
        ]),
        "{:?}",
        run.ran
    );

    // The outputs and the SARIF file (the default path, in the workspace).
    assert_eq!(run.outputs["sarif-file"], "helm-harden.sarif");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("helm-harden.sarif")).unwrap(),
    )
    .unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let unsuppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_none_or(|s| s.as_array().unwrap().is_empty()))
        .collect();
    assert_eq!(run.outputs["failures"], unsuppressed.len().to_string());

    // The job summary is the check step's (the review writes none when it can comment).
    assert!(run.summary.starts_with("### helm-harden: "), "{}", run.summary);
    assert!(run.summary.contains("| GLOO-004 | high | Settings/"), "{}", run.summary);
    assert!(!run.summary.contains("### helm-harden review"), "no fallback note: {}", run.summary);

    // The exact requests: what the review reads while helm renders (the files, both pages by
    // the Link header; the existing review comments; the existing issue comments), then one
    // review and the summary comment created.
    let reqs = gh.requests();
    let pr = format!("/repos/{REPOSITORY}/pulls/{PR_NUMBER}");
    assert_eq!(
        methods_and_routes(&reqs),
        [
            format!("GET {pr}/files?per_page=100"),
            format!("GET {pr}/files?per_page=100&page=2"),
            format!("GET {pr}/comments?per_page=100"),
            format!("GET /repos/{REPOSITORY}/issues/{PR_NUMBER}/comments?per_page=100"),
            format!("POST {pr}/reviews"),
            format!("POST /repos/{REPOSITORY}/issues/{PR_NUMBER}/comments"),
        ],
        "stderr:\n{}",
        run.stderr
    );
    let review = reqs[4].json();
    assert_eq!(review["event"], "COMMENT");
    assert_eq!(review["commit_id"], HEAD_SHA, "the head sha from the event, not GITHUB_SHA");
    let comments = review["comments"].as_array().unwrap();
    for c in comments {
        assert_eq!(
            (c["path"].as_str(), c["side"].as_str()),
            (Some(VALUES_PATH), Some("RIGHT")),
            "{c}"
        );
        assert!(c.get("start_line").is_none() && c.get("position").is_none(), "{c}");
        assert!(c["body"].as_str().unwrap().contains("<!-- helm-harden:fp="), "{c}");
    }
    // Commented inline: exactly the SARIF results whose fix goes on a line of the diff.
    let rule_of = |body: &str| body.split("**").nth(1).unwrap().to_string();
    let mut inline: Vec<(String, u64)> = comments
        .iter()
        .map(|c| (rule_of(c["body"].as_str().unwrap()), c["line"].as_u64().unwrap()))
        .collect();
    let mut expected: Vec<(String, u64)> = unsuppressed
        .iter()
        .filter_map(|r| {
            let physical = &r["locations"][0]["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str()?;
            let line = physical["region"]["startLine"].as_u64()?;
            (uri.ends_with(VALUES_PATH) && in_diff.contains(&(line as usize)))
                .then(|| (r["ruleId"].as_str().unwrap().to_string(), line))
        })
        .collect();
    inline.sort();
    expected.sort();
    assert_eq!(inline, expected);
    for rule in ["GLOO-004", "GLOO-007", "GLOO-005", "GLOO-001"] {
        assert!(inline.iter().any(|(r, _)| r == rule), "{rule} commented inline: {inline:?}");
    }
    // One-click suggestions: the weakened lines rewritten, a missing key added under its parent.
    let body_of = |rule: &str| {
        comments
            .iter()
            .map(|c| c["body"].as_str().unwrap())
            .find(|b| b.starts_with(&format!("**{rule}**")))
            .unwrap()
    };
    assert!(
        body_of("GLOO-004").contains("```suggestion\n    alwaysAcceptResources: false\n```"),
        "{}",
        body_of("GLOO-004")
    );
    assert!(
        body_of("GLOO-007").contains("```suggestion\n    failurePolicy: Fail\n```"),
        "{}",
        body_of("GLOO-007")
    );
    // GLOO-006's key goes under the same parent line: one suggestion applies both.
    assert!(body_of("GLOO-005").contains("```suggestion\n  validation:\n    warnRouteShortCircuiting: true\n    allowWarnings: false\n```"), "{}", body_of("GLOO-005"));
    assert!(
        body_of("GLOO-005").contains(
            "- **GLOO-006**: set `gateway.validation.warnRouteShortCircuiting` to `true`"
        ),
        "{}",
        body_of("GLOO-005")
    );
    assert!(
        body_of("GLOO-006").contains("The one-click suggestion in the **GLOO-005** comment")
            && !body_of("GLOO-006").contains("```suggestion"),
        "{}",
        body_of("GLOO-006")
    );

    // The summary comment: every finding, those outside the diff first, and the diff with the
    // hardened overlay (a chart target).
    let summary = reqs[5].json()["body"].as_str().unwrap().to_string();
    assert!(summary.starts_with("<!-- helm-harden:summary -->"), "{summary}");
    assert!(
        summary.contains(" at or above `high`."),
        "the summary states the action's gate, not the default: {summary}"
    );
    assert_eq!(
        summary.lines().filter(|l| l.contains("<!-- helm-harden:fp=")).count(),
        unsuppressed.len(),
        "{summary}"
    );
    let not_inline = summary.split("### Commented inline").next().unwrap();
    assert!(
        not_inline.contains("**GLOO-019**")
            && not_inline.contains(&format!("`{VALUES_PATH}:{}`", repo.line_of("replicas: 1"))),
        "{summary}"
    );
    assert!(
        summary.contains("<details><summary>Diff with the hardened overlay</summary>"),
        "{summary}"
    );
    let created = gh.issue_comments();
    assert_eq!(created.len(), 1);
    let summary_id = created[0]["id"].as_u64().unwrap();
    let done = format!("review: {} inline comments posted, 0 already there; 0 outdated deleted; summary comment {summary_id} created", comments.len());
    assert!(run.stderr.contains(&done), "{}", run.stderr);

    // A second run (a re-run of the job, or a push with the same findings): no inline comment
    // twice and no second summary comment; the summary is updated in place.
    let first: Vec<String> =
        gh.review_comments().iter().map(|c| fingerprint(c["body"].as_str().unwrap())).collect();
    gh.clear_requests();
    let again = run_on_pull_request(&repo, &gh, &tools, &inputs);
    assert_eq!(again.exit_code, 1, "stderr:\n{}", again.stderr);
    assert_eq!(again.outputs["failures"], run.outputs["failures"]);
    let writes: Vec<String> =
        methods_and_routes(&gh.requests()).into_iter().filter(|r| !r.starts_with("GET ")).collect();
    assert_eq!(
        writes,
        [format!("PATCH /repos/{REPOSITORY}/issues/comments/{summary_id}")],
        "stderr:\n{}",
        again.stderr
    );
    assert_eq!(gh.issue_comments().len(), 1, "one summary comment per pull request");
    let now: Vec<String> =
        gh.review_comments().iter().map(|c| fingerprint(c["body"].as_str().unwrap())).collect();
    assert_eq!(now, first, "no inline comment posted twice, none deleted");
    let done = format!("review: 0 inline comments posted, {} already there; 0 outdated deleted; summary comment {summary_id} updated", comments.len());
    assert!(again.stderr.contains(&done), "{}", again.stderr);
}

/// An annotation (`::error`, `::warning`, `::notice` with properties) of a log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Annotation {
    file: String,
    /// Empty when the annotation has no line.
    line: String,
    /// The title's first word, without a trailing `%3A` (`:`).
    rule: String,
    message: String,
}

fn annotations(log: &str) -> Vec<Annotation> {
    log.lines()
        .filter_map(|l| {
            let (head, message) = l.strip_prefix("::")?.split_once("::")?;
            let (command, props) = head.split_once(' ')?;
            if !["error", "warning", "notice"].contains(&command) {
                return None;
            }
            let prop = |key: &str| {
                props
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{key}=")))
                    .unwrap_or("")
                    .to_string()
            };
            let rule = prop("title").split(' ').next().unwrap().trim_end_matches("%3A").to_string();
            Some(Annotation {
                file: prop("file"),
                line: prop("line"),
                rule,
                message: message.to_string(),
            })
        })
        .filter(|a| a.rule != "helm-harden") // the overflow notice
        .collect()
}

/// Each finding annotated once at most across all the action's steps (the check step
/// annotates; the review's fallback must not again): no annotation twice, and no more
/// annotations at a file, line and rule than the SARIF report has unsuppressed results there
/// (several objects can share a fix line: `add under` one parent key). Each level stays within
/// GitHub's 10 per step.
fn assert_each_annotated_once(run: &Run, sarif: &Path) {
    let all = annotations(&run.stdout);
    let mut seen = std::collections::BTreeSet::new();
    for a in &all {
        assert!(seen.insert(a), "annotated twice: {a:?}\nstdout:\n{}", run.stdout);
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    let mut results: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for r in doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_none_or(|s| s.as_array().unwrap().is_empty()))
    {
        let physical = &r["locations"][0]["physicalLocation"];
        // SARIF writes an absolute path (a template of a chart given by its absolute path) as
        // a file:// URI; an annotation names the path.
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        let key = (
            uri.strip_prefix("file://").unwrap_or(uri).to_string(),
            physical["region"]["startLine"].to_string(),
            r["ruleId"].as_str().unwrap().to_string(),
        );
        *results.entry(key).or_default() += 1;
    }
    let mut annotated: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for a in &all {
        // SARIF puts a result without a values line on line 1 of its file.
        let line = if a.line.is_empty() { "1".to_string() } else { a.line.clone() };
        *annotated.entry((a.file.clone(), line, a.rule.clone())).or_default() += 1;
    }
    for (key, n) in &annotated {
        let findings = results.get(key).copied().unwrap_or(0);
        assert!(
            *n <= findings,
            "{key:?}: {n} annotations for {findings} findings\nstdout:\n{}",
            run.stdout
        );
    }
    for level in ["::error ", "::warning ", "::notice "] {
        let n = run.stdout.lines().filter(|l| l.starts_with(level)).count();
        assert!(n <= 10, "{n} annotations at {level}: only the check step annotates, at most 10 of each level\n{}", run.stdout);
    }
}

/// The fork warning: one `::warning::` workflow command (the runner reads stdout and stderr),
/// and no plain `warning:` line.
fn assert_one_fork_warning(run: &Run) {
    let log = format!("{}{}", run.stdout, run.stderr);
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the GitHub token cannot comment on this pull request"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {warnings:?}");
    assert!(
        warnings[0].starts_with(
            "::warning::the GitHub token cannot comment on this pull request (read-only"
        ),
        "{}",
        warnings[0]
    );
}

#[test]
fn a_read_only_token_does_not_fail_the_action_the_findings_decide() {
    let Some(tools) = tools_path() else { return };
    // A fork's pull request: the token may read, every write is 403 "Resource not accessible
    // by integration".
    let repo = Repo::new();
    let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&repo.added_patch()));
    gh.state.lock().unwrap().read_only = true;
    let chart = gloo_mini();
    let run = run_on_pull_request(
        &repo,
        &gh,
        &tools,
        &[("chart", &chart), ("values", VALUES_PATH), ("fail-on", "high"), ("overlay", "false")],
    );
    assert_eq!(
        run.exit_code, 1,
        "high findings remain: exit 1, not the review's error\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.ran.contains(&"Exit by the findings".to_string()), "{:?}", run.ran);
    assert!(run.cached_renders > 0, "helm-harden renders through the run's own XDG_CACHE_HOME");
    assert_eq!(
        run.cached_renders, 1,
        "overlay: false: no hardened render, in the check step nor in the review"
    );
    assert_one_fork_warning(&run);
    assert_each_annotated_once(&run, &repo.path().join("helm-harden.sarif"));
    // The high findings on the values file are annotated (by the check step).
    let line = repo.line_of("alwaysAcceptResources").to_string();
    let annotated = annotations(&run.stdout);
    assert_eq!(
        annotated
            .iter()
            .filter(|a| (a.file.as_str(), a.line.as_str(), a.rule.as_str())
                == (VALUES_PATH, line.as_str(), "GLOO-004"))
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert!(
        run.summary
            .contains("### helm-harden review\n\nThe token could not comment on this pull request"),
        "{}",
        run.summary
    );
    let writes: Vec<String> =
        methods_and_routes(&gh.requests()).into_iter().filter(|r| !r.starts_with("GET ")).collect();
    assert_eq!(
        writes,
        [format!("POST /repos/{REPOSITORY}/pulls/{PR_NUMBER}/reviews")],
        "no write after the first 403"
    );
    assert!(gh.review_comments().is_empty() && gh.issue_comments().is_empty());

    // Findings below the threshold only (GLOO-014, low): the 403 does not fail the action.
    let repo = Repo::with_values("discovery:\n  enabled: true\n");
    let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&repo.added_patch()));
    gh.state.lock().unwrap().read_only = true;
    let values =
        format!("{}\n{VALUES_PATH}\n", root().join("fixtures/values/hardened.yaml").display());
    let run = run_on_pull_request(
        &repo,
        &gh,
        &tools,
        &[("chart", &chart), ("values", &values), ("fail-on", "high"), ("overlay", "false")],
    );
    assert_eq!(run.exit_code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert_eq!(run.outputs["failures"], "1", "{}", run.stdout);
    assert_one_fork_warning(&run);
    assert_each_annotated_once(&run, &repo.path().join("helm-harden.sarif"));
    let posted = gh.requests().into_iter().find(|r| r.method == "POST").expect("a write was tried");
    assert_eq!(posted.route(), format!("/repos/{REPOSITORY}/pulls/{PR_NUMBER}/reviews"));
    let comments = posted.json()["comments"].clone();
    assert_eq!(comments.as_array().map(Vec::len), Some(1), "{comments}");
    assert_eq!(
        (comments[0]["path"].as_str(), comments[0]["line"].as_u64()),
        (Some(VALUES_PATH), Some(2)),
        "{comments}"
    );
    // The finding still reaches the pull request, as one annotation on its line.
    let on_line: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(&format!("::warning file={VALUES_PATH},line=2,")))
        .collect();
    assert_eq!(on_line.len(), 1, "{}", run.stdout);
    assert!(
        on_line[0].starts_with(&format!("::warning file={VALUES_PATH},line=2,title=GLOO-014 ")),
        "{}",
        on_line[0]
    );
    assert!(
        run.summary
            .contains("The 1 finding is in this job's annotations and in the job summary above."),
        "{}",
        run.summary
    );
}

/// A release host on 127.0.0.1: `GET /<repo>/releases/download/<tag>/<file>` answers as
/// github.com does, with a redirect to the file's storage (`/storage/<n>`), which serves it;
/// any other path is a 404. Records every path asked for.
struct ReleaseHost {
    url: String,
    paths: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ReleaseHost {
    fn start(files: Vec<(String, Vec<u8>)>) -> ReleaseHost {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = paths.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // The headers, up to the blank line (a GET has no body).
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(path.clone());
                let stored = path
                    .strip_prefix("/storage/")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| files.get(n));
                let response: Vec<u8> = if let Some(n) = files.iter().position(|(p, _)| *p == path)
                {
                    format!("HTTP/1.1 302 Found\r\nLocation: /storage/{n}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes()
                } else if let Some((_, body)) = stored {
                    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                    r.extend_from_slice(body);
                    r
                } else {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found".to_vec()
                };
                let _ = stream.write_all(&response);
            }
        });
        ReleaseHost { url, paths }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// The asset name the action downloads on this machine (`uname -m`, as the action's script).
fn release_asset() -> String {
    let arch = Command::new("uname").arg("-m").output().unwrap();
    format!("helm-harden-{}-unknown-linux-gnu.tar.gz", String::from_utf8_lossy(&arch.stdout).trim())
}

/// The release asset made as the release workflow makes it: its Package step run on a
/// `target/release/helm-harden` that leaves a mark and runs the test build, so the test sees
/// which binary the action ran. Returns the tarball's bytes and its `.sha256` file's.
fn release_tarball(dir: &Path, mark: &Path) -> (Vec<u8>, Vec<u8>) {
    let workflow: Value = yaml_serde::from_str(
        &std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap(),
    )
    .unwrap();
    let steps = workflow["jobs"]["build"]["steps"].as_array().unwrap();
    let package = steps
        .iter()
        .find(|s| s["name"] == "Package")
        .expect("the release workflow has a Package step");
    let checkout = dir.join("checkout");
    std::fs::create_dir_all(checkout.join("target/release")).unwrap();
    let binary = checkout.join("target/release/helm-harden");
    std::fs::write(
        &binary,
        format!(
            "#!/bin/sh\necho \"$@\" >>'{}'\nexec '{}' \"$@\"\n",
            mark.display(),
            env!("CARGO_BIN_EXE_helm-harden")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755)).unwrap();
    let github_env = dir.join("github-env");
    std::fs::write(&github_env, "").unwrap();
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", package["run"].as_str().unwrap()])
        .current_dir(&checkout)
        .env("GITHUB_ENV", &github_env)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let asset = parse_key_values(&std::fs::read_to_string(&github_env).unwrap())["ASSET"].clone();
    assert_eq!(asset, release_asset(), "the release names its asset as the action downloads it");
    let checksum = std::fs::read_to_string(checkout.join(format!("{asset}.sha256"))).unwrap();
    assert!(checksum.trim_end().ends_with(&format!("  {asset}")), "{checksum}");
    (std::fs::read(checkout.join(asset)).unwrap(), checksum.into_bytes())
}

/// Only helm on PATH: helm-harden comes from the action.
fn helm_only_path() -> Option<Vec<PathBuf>> {
    tools_path().map(|mut dirs| {
        dirs.truncate(1);
        dirs
    })
}

/// `uses: acme/helm-harden@v1` with no helm-harden on the runner: the action downloads the
/// release binary of its own version (Cargo.toml at the ref; the major tag names no release),
/// following github.com's redirect to the file, and runs it.
#[test]
fn at_a_release_tag_the_action_installs_that_release_binary() {
    let Some(helm) = helm_only_path() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("ran");
    let asset = release_asset();
    let release =
        format!("/acme/helm-harden/releases/download/v{}/{asset}", env!("CARGO_PKG_VERSION"));
    let (tarball, checksum) = release_tarball(dir.path(), &mark);
    let host = ReleaseHost::start(vec![
        (release.clone(), tarball),
        (format!("{release}.sha256"), checksum),
    ]);
    let mut runner = Runner::new(&[
        ("chart", "fixtures/charts/gloo-mini"),
        ("values", "fixtures/values/weak.yaml"),
        ("comment", "off"),
        ("sarif-file", &dir.path().join("x.sarif").display().to_string()),
    ]);
    runner.action_repository = "acme/helm-harden".into();
    runner.action_ref = "v1".into();
    runner.server_url = host.url.clone();
    let run = runner.execute(root(), &helm, &[]);

    assert_eq!(
        run.exit_code, 1,
        "the weak values fail\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(
        host.paths(),
        [
            release.clone(),
            "/storage/0".to_string(),
            format!("{release}.sha256"),
            "/storage/1".to_string()
        ],
        "the tarball, then its checksum"
    );
    assert_eq!(run.step_outputs["find"]["found"], "true");
    assert_eq!(
        run.skipped,
        ["Restore the helm-harden build", "Build helm-harden", "Review the pull request"],
        "ran: {:?}",
        run.ran
    );
    let calls = std::fs::read_to_string(&mark).expect("the downloaded helm-harden ran");
    assert!(
        calls.lines().any(|l| l.starts_with("check --format github")),
        "the check step ran the release binary: {calls}"
    );
    assert!(run.outputs["failures"].parse::<usize>().unwrap() > 0);
}

/// No release for the requested version (404), an asset that is not a tarball, a tarball whose
/// checksum does not match, or the action used at a branch: the action goes on to build its own
/// source, keyed by a hash of the sources, and warns when a requested version was not found.
#[test]
fn without_a_usable_release_binary_the_action_builds_its_source() {
    let Some(helm) = helm_only_path() else { return };
    let dir = tempfile::tempdir().unwrap();
    let asset = release_asset();
    let wanted = format!("/acme/helm-harden/releases/download/v2.0.0/{asset}");
    let (tarball, checksum) = release_tarball(dir.path(), &dir.path().join("ran"));
    let mut other = checksum.clone();
    other[0] = if other[0] == b'0' { b'1' } else { b'0' };
    // (files served, version input, action ref, the first request expected)
    let cases = [
        (
            vec![(
                "/acme/helm-harden/releases/download/v0.0.1/x.tar.gz".to_string(),
                b"x".to_vec(),
            )],
            "2.0.0",
            "v1",
            Some(&wanted),
        ),
        (
            vec![(wanted.clone(), b"<html>not a tarball</html>".to_vec())],
            "v2.0.0",
            "v1",
            Some(&wanted),
        ),
        (
            vec![(wanted.clone(), tarball), (format!("{wanted}.sha256"), other)],
            "v2.0.0",
            "v1",
            Some(&wanted),
        ),
        (vec![(wanted.clone(), b"x".to_vec())], "", "main", None),
    ];
    for (files, version, action_ref, expected) in cases {
        let host = ReleaseHost::start(files);
        let mut runner = Runner::new(&[
            ("chart", "fixtures/charts/gloo-mini"),
            ("comment", "off"),
            ("version", version),
        ]);
        runner.action_repository = "acme/helm-harden".into();
        runner.action_ref = action_ref.into();
        runner.server_url = host.url.clone();
        // The next step restores the build cache (actions/cache), which needs the network.
        runner.stop_before = Some("Restore the helm-harden build".into());
        let run = runner.execute(root(), &helm, &[]);

        assert_eq!(run.exit_code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
        assert!(!dir.path().join("ran").exists(), "a binary that failed its checksum ran");
        // The version input (with or without its `v`) wins over the action's ref.
        if let Some(path) = expected {
            assert_eq!(&host.paths()[0], path);
            assert!(run.stdout.contains(&format!("no release binary {asset} for v2.0.0 (or its checksum does not match); building the action's source")), "{}", run.stdout);
            assert!(run.stdout.contains(&format!("::warning title=helm-harden::no usable release binary {asset} for version {version}")), "{}", run.stdout);
        } else {
            assert_eq!(host.paths(), Vec::<String>::new(), "at a branch nothing is downloaded");
            assert!(!run.stdout.contains("::warning"), "{}", run.stdout);
        }
        let find = &run.step_outputs["find"];
        assert_eq!(find["found"], "false");
        assert!(
            find["source-hash"].len() == 16
                && find["source-hash"].bytes().all(|b| b.is_ascii_hexdigit()),
            "{find:?}"
        );
        assert!(find["root"].ends_with("/helm-harden-cargo"), "{find:?}");
    }
}

/// `sarif-file: ''`: no SARIF in the workspace, the failures still counted and the gate kept.
#[test]
fn an_empty_sarif_file_input_writes_no_sarif_and_still_gates() {
    let Some(tools) = tools_path() else { return };
    let workspace = tempfile::tempdir().unwrap();
    let chart = root().join("fixtures/charts/gloo-mini").display().to_string();
    let values = root().join("fixtures/values/weak.yaml").display().to_string();
    let run = Runner::new(&[
        ("chart", &chart),
        ("values", &values),
        ("comment", "off"),
        ("overlay", "false"),
        ("sarif-file", ""),
    ])
    .execute(workspace.path(), &tools, &[]);

    assert_eq!(run.exit_code, 1, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.outputs["failures"].parse::<usize>().unwrap() > 0, "{:?}", run.outputs);
    assert_eq!(run.outputs["sarif-file"], "");
    let left: Vec<_> =
        std::fs::read_dir(workspace.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the workspace is left as it was: {left:?}");
}

/// The pull request's environment with `event` as its event file, and git allowed to fetch from
/// a `file://` remote (the upstream of a test's clone).
fn base_env(repo: &Repo, gh: &FakeGitHub, event: &Path) -> Vec<(String, String)> {
    let mut env = pull_request_env(repo, gh);
    env.retain(|(k, _)| k != "GITHUB_EVENT_PATH");
    env.push(("GITHUB_EVENT_PATH".into(), event.display().to_string()));
    env.push(("GIT_CONFIG_COUNT".into(), "1".into()));
    env.push(("GIT_CONFIG_KEY_0".into(), "protocol.file.allow".into()));
    env.push(("GIT_CONFIG_VALUE_0".into(), "always".into()));
    env
}

/// The action compares with the pull request's base commit (the event's `base.sha`), fetched
/// from `origin` when the checkout lacks it, as actions/checkout's shallow clone does: on a
/// pull request that weakens one value, fixes another and adds a proxy
/// (`common::base_and_change`), the job summary and the summary comment count one new failure,
/// one fixed and the rest existing, and show the change's render diff for exactly the
/// resources it touches; `new-only` fails the step on the weakening alone (the same change
/// without it passes). A workspace that is not a git work tree gets no comparison, said in a
/// notice, and still gets its inline comments.
#[test]
fn the_action_compares_with_the_base_commit_and_gates_on_new_failures() {
    let Some(tools) = tools_path() else { return };
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .current_dir(dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "protocol.file.allow=always",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (base, head) = common::base_and_change();
    // The upstream repository: the base commit, then the pull request's head.
    let upstream = Repo::with_values(&base);
    git(upstream.path(), &["add", VALUES_PATH]);
    git(upstream.path(), &["commit", "-q", "-m", "base"]);
    let base_sha = git(upstream.path(), &["rev-parse", "HEAD"]);
    let upstream = Repo::with_values_in(upstream, &head);
    git(upstream.path(), &["commit", "-q", "-am", "weaken, fix and add a proxy"]);
    // The job's checkout: the head alone, one commit deep (the base is not in it).
    let work = tempfile::tempdir().unwrap();
    let url = format!("file://{}", upstream.path().display());
    git(work.path(), &["clone", "-q", "--depth=1", &url, "checkout"]);
    let checkout = work.path().join("checkout");
    assert!(
        Command::new("git")
            .current_dir(&checkout)
            .args(["cat-file", "-e", &format!("{base_sha}^{{commit}}")])
            .status()
            .unwrap()
            .code()
            != Some(0),
        "the shallow clone must lack the base"
    );
    let event = serde_json::json!({"action": "synchronize", "number": PR_NUMBER, "pull_request": {"number": PR_NUMBER, "head": {"sha": HEAD_SHA, "ref": "weaken"}, "base": {"sha": base_sha}}});
    let event_path = work.path().join("event.json");
    std::fs::write(&event_path, event.to_string()).unwrap();
    let chart = gloo_mini();
    let expected: Vec<(String, String)> = common::CHANGED_BY_THE_CHANGE
        .iter()
        .map(|(name, kind)| ((*name).to_string(), (*kind).to_string()))
        .collect();
    for (new_only, expected_exit) in [("false", 1), ("true", 1)] {
        let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&upstream.added_patch()));
        let env = base_env(&upstream, &gh, &event_path);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let inputs = [
            ("chart", chart.as_str()),
            ("values", VALUES_PATH),
            ("comment", "review"),
            ("new-only", new_only),
        ];
        let run = Runner::new(&inputs).execute(&checkout, &tools, &env);
        assert_no_token(&run, &gh);
        assert_eq!(
            run.exit_code, expected_exit,
            "new-only {new_only}:\n{}\n{}",
            run.stdout, run.stderr
        );
        let short = &base_sha[..7];
        assert!(
            run.summary.contains(&format!("Against the base `{base_sha} ({short})`: **1 new**, 1 fixed by this change, 2 existing")),
            "{}",
            run.summary
        );
        assert!(run.summary.contains("- fixed: GLOO-010"), "{}", run.summary);
        // The change's own render diff, above the hardened overlay's, in the job summary too:
        // the resources the change touches, no other.
        let opening = "<summary>Change since ";
        let change = run.summary.find(opening).expect("the change's diff") + opening.len();
        let hardened = run.summary.find("<summary>Diff with the hardened overlay").unwrap();
        assert!(change < hardened, "{}", run.summary);
        assert_eq!(
            common::resources_of_markdown_diff(&run.summary[change..hardened]),
            expected,
            "{}",
            run.summary
        );
        let comment = gh.issue_comments()[0]["body"].as_str().unwrap().to_string();
        assert!(comment.contains("**1 new**, 1 fixed by this change, 2 existing"), "{comment}");
        let change = comment.find("**Change since ").expect("the change's diff in the comment");
        let hardened = comment.find("**Diff with the hardened overlay**").unwrap();
        assert_eq!(
            common::resources_of_markdown_diff(&comment[change..hardened]),
            expected,
            "{comment}"
        );
    }
    // The same change without the weakening (the fix and the new proxy; the known failures
    // kept): new-only passes it, the plain gate does not.
    let unweakened = head.replace(
        "        # GLOO-019\n        replicas: 1",
        "        # GLOO-019\n        replicas: 2",
    );
    assert_ne!(unweakened, head);
    let kept = Repo::with_values_in(upstream, &unweakened);
    git(kept.path(), &["commit", "-q", "-am", "fix and add a proxy"]);
    let work = tempfile::tempdir().unwrap();
    let url = format!("file://{}", kept.path().display());
    git(work.path(), &["clone", "-q", "--depth=1", &url, "checkout"]);
    let checkout = work.path().join("checkout");
    for (new_only, expected_exit) in [("true", 0), ("false", 1)] {
        let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&kept.added_patch()));
        let env = base_env(&kept, &gh, &event_path);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let inputs = [
            ("chart", chart.as_str()),
            ("values", VALUES_PATH),
            ("comment", "off"),
            ("new-only", new_only),
        ];
        let run = Runner::new(&inputs).execute(&checkout, &tools, &env);
        assert_eq!(
            run.exit_code, expected_exit,
            "new-only {new_only}:\n{}\n{}",
            run.stdout, run.stderr
        );
    }
    // A workspace that is not a git work tree (a container job without git, where
    // actions/checkout downloads a tarball): no comparison, said in a notice, and the review
    // still places its comments on the values file's lines.
    std::fs::remove_dir_all(checkout.join(".git")).unwrap();
    let gh = FakeGitHub::start_with_token("", FAKE_TOKEN, pr_files(&kept.added_patch()));
    let mut env = base_env(&kept, &gh, &event_path);
    // git fails here as it does without git; the runner names the workspace, as GitHub's do.
    env.push(("GIT_DIR".into(), work.path().join("no-git").display().to_string()));
    env.push(("GITHUB_WORKSPACE".into(), checkout.display().to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let inputs = [("chart", chart.as_str()), ("values", VALUES_PATH), ("comment", "review")];
    let run = Runner::new(&inputs).execute(&checkout, &tools, &env);
    assert_no_token(&run, &gh);
    assert_eq!(run.exit_code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("::notice title=helm-harden::the base commit {base_sha} is not available here: no comparison with it")),
        "{}",
        run.stdout
    );
    let posted = gh
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.route().ends_with("/reviews"))
        .unwrap_or_else(|| panic!("a review with inline comments:\n{}\n{}", run.stdout, run.stderr))
        .json();
    let comments = posted["comments"].as_array().unwrap();
    assert!(!comments.is_empty() && comments.iter().all(|c| c["path"] == VALUES_PATH), "{posted}");
}
