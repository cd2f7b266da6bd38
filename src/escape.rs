//! Escaping for every place a string from the chart or the values can end up: a terminal, a
//! markdown document (PR comments, job summaries), a fenced code block, a GitHub workflow command.
//!
//! Resource names, messages and values come from whoever wrote the chart. None of them may be able
//! to move the cursor, recolour the terminal, reorder text (bidi controls), open an HTML tag,
//! `@mention` a team, close a code fence or inject a second workflow command.

/// Unicode bidirectional controls (embeddings, overrides, isolates and marks): they make a terminal
/// or a browser show text in another order than it is (the "Trojan Source" trick).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line of terminal text: every control character (ESC, CSI, CR, newline, ...) and every bidi
/// control becomes `�`, so nothing the chart says can start an escape sequence or a new line.
/// Tabs are kept: they are harmless and appear in real values.
pub fn terminal(text: &str) -> String {
    terminal_keeping(text, &[])
}

/// [`terminal`], keeping the control characters in `keep` as well (for the caller to escape).
fn terminal_keeping(text: &str, keep: &[char]) -> String {
    text.chars()
        .map(|c| {
            if ((c.is_control() && c != '\t') || is_bidi_control(c)) && !keep.contains(&c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// Text for an XML attribute or element (JUnit): entities for `& < > " '`; characters XML 1.0
/// cannot carry (control characters other than tab, newline and carriage return) and bidi
/// controls become `�`.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in terminal_keeping(text, &['\n', '\r']).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// What markdown and raw HTML both escape: the characters that open a tag or an entity or end
/// an attribute, and `@`, which gets a zero-width space after it: the text stays, the mention
/// breaks.
fn html_special(c: char) -> Option<&'static str> {
    Some(match c {
        '<' => "&lt;",
        '>' => "&gt;",
        '&' => "&amp;",
        '"' => "&quot;",
        '@' => "@\u{200b}",
        _ => return None,
    })
}

/// Inline markdown (and HTML) text: no tag, entity, `@mention`, link, emphasis, table cell break,
/// math or heading can be smuggled in. Control characters become spaces, bidi controls vanish.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(entity) = html_special(c) {
            out.push_str(entity);
            continue;
        }
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if is_bidi_control(c) => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (a `<summary>` line, where markdown is not processed, so backslash
/// escapes would show): entities for `& < > "`, a broken `@mention`, and control and bidi
/// characters shown as `�`, as in text output.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(entity) = html_special(c) {
            out.push_str(entity);
            continue;
        }
        match c {
            c if is_bidi_control(c) || c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A backtick fence for `body`: longer than any run of backticks inside it, so no line of the body
/// can close the block early (CommonMark: a closing fence is at least as long as the opening).
pub fn code_fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Serialized JSON with bidi controls written as `\uXXXX` escapes. JSON escapes the other
/// control characters itself; these it leaves raw, and they would reorder the text of a terminal
/// showing the JSON. Outside strings JSON is ASCII, so every such character is inside a string and
/// the escape decodes to the same value.
pub fn json_text(serialized: String) -> String {
    // Every character escaped here is encoded with a lead byte of 0xD8 (U+061C) or 0xE2
    // (U+200E..U+2069): most outputs have neither and are returned as they are, uncopied.
    if !serialized.bytes().any(|b| b == 0xE2 || b == 0xD8) {
        return serialized;
    }
    let mut out = String::with_capacity(serialized.len());
    for c in serialized.chars() {
        if is_bidi_control(c) || c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A writer that applies [`json_text`] to serialized JSON on its way out. serde_json hands it
/// whole UTF-8 fragments, so a character is never split between two writes. It buffers: serde
/// writes a token at a time, and a large report has millions. Call `flush` when done.
pub struct JsonTextWriter<'a> {
    out: &'a mut dyn std::io::Write,
    buffer: Vec<u8>,
}

const JSON_BUFFER: usize = 1 << 16;

impl<'a> JsonTextWriter<'a> {
    pub fn new(out: &'a mut dyn std::io::Write) -> Self {
        JsonTextWriter { out, buffer: Vec::with_capacity(JSON_BUFFER) }
    }
}

impl std::io::Write for JsonTextWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= JSON_BUFFER {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_buffer()?;
        self.out.flush()
    }
}

impl JsonTextWriter<'_> {
    /// The buffer holds whole fragments, so it is whole UTF-8 and can be escaped at once.
    fn write_buffer(&mut self) -> std::io::Result<()> {
        if memchr::memchr2(0xE2, 0xD8, &self.buffer).is_none() {
            self.out.write_all(&self.buffer)?;
        } else {
            match std::str::from_utf8(&self.buffer) {
                Ok(text) => self.out.write_all(json_text(text.to_string()).as_bytes())?,
                Err(_) => self.out.write_all(&self.buffer)?,
            }
        }
        self.buffer.clear();
        Ok(())
    }
}

/// The message of a GitHub workflow command (`::error file=..::MESSAGE`), escaped as the runner
/// unescapes it: `%`, CR and LF, so a message can never end the command and start another. The
/// runner's log is a terminal: every other control character (ESC, ...) and bidi control becomes
/// `�`, as in [`terminal`].
pub fn workflow_data(text: &str) -> String {
    terminal_keeping(text, &['\r', '\n'])
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command (`file=`, `title=`): also `:` and `,`, which end a
/// property.
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_json_is_escaped_like_the_text() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{2028}c", "plain": "x"});
        let mut out = Vec::new();
        let mut writer = JsonTextWriter::new(&mut out);
        serde_json::to_writer_pretty(&mut writer, &value).unwrap();
        std::io::Write::flush(&mut writer).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            json_text(serde_json::to_string_pretty(&value).unwrap())
        );
    }

    #[test]
    fn terminal_text_cannot_carry_escape_sequences_or_new_lines() {
        assert_eq!(terminal("a\x1b[31mred\x1b[0m"), "a\u{fffd}[31mred\u{fffd}[0m");
        assert_eq!(terminal("one\ntwo\rthree"), "one\u{fffd}two\u{fffd}three");
        assert_eq!(terminal("csi\u{9b}2J"), "csi\u{fffd}2J", "C1 controls too");
        assert_eq!(terminal("abc\u{202e}fed"), "abc\u{fffd}fed", "bidi override");
        assert_eq!(terminal("tab\tok"), "tab\tok");
        assert_eq!(terminal("gateway-proxy ü ✓"), "gateway-proxy ü ✓");
    }

    #[test]
    fn markdown_text_cannot_open_tags_mentions_or_links() {
        assert_eq!(markdown("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(markdown("@org/team"), "@\u{200b}org/team");
        assert_eq!(markdown("[x](https://e.example)"), "\\[x\\](https://e.example)");
        assert_eq!(markdown("a|b"), "a\\|b");
        assert_eq!(
            markdown("`code` *em* _em_ ~~s~~ $x$"),
            "\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~ \\$x\\$"
        );
        assert_eq!(markdown("&lt;"), "&amp;lt;");
        assert_eq!(markdown("x=\"y\""), "x=&quot;y&quot;");
        assert_eq!(markdown("line\nbreak\u{202e}"), "line break");
    }

    #[test]
    fn html_text_cannot_open_tags_or_mentions() {
        assert_eq!(
            html("<b>x</b> & \"@team\" `y`_z\n\u{202e}"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &quot;@\u{200b}team&quot; `y`_z\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn fences_outgrow_the_backticks_in_the_body() {
        assert_eq!(code_fence("plain\n"), "```");
        assert_eq!(code_fence("+ x: ```\n"), "````");
        assert_eq!(code_fence("````` and ``\n"), "``````");
    }

    #[test]
    fn json_text_escapes_bidi_controls_and_still_decodes_the_same() {
        let value = serde_json::json!({"name": "a\u{202e}b\u{2028}c"});
        let text = json_text(serde_json::to_string(&value).unwrap());
        assert_eq!(text, r#"{"name":"a\u202eb\u2028c"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn workflow_commands_cannot_be_injected() {
        assert_eq!(workflow_data("bad\n::set-env name=X::1"), "bad%0A::set-env name=X::1");
        assert_eq!(workflow_data("100%\r"), "100%25%0D");
        assert_eq!(workflow_property("a:b,c\nd"), "a%3Ab%2Cc%0Ad");
    }

    #[test]
    fn workflow_commands_carry_no_terminal_controls() {
        assert_eq!(
            workflow_data("a\x1b[31mred\u{9b}2J\u{202e}x\ty"),
            "a\u{fffd}[31mred\u{fffd}2J\u{fffd}x\ty"
        );
        assert_eq!(workflow_property("t\u{1b}\u{2066}:"), "t\u{fffd}\u{fffd}%3A");
    }
}
