//! A fast parser for the block-style YAML that helm templates render, in front of saphyr.
//!
//! Rendered manifests use a small part of YAML: block mappings and sequences, plain scalars
//! (folded over lines), one-line quoted scalars, literal blocks (`|`, `|-`, `|+`), one-line flow
//! collections of scalars, comments, and `---` between documents. This reads that part line by
//! line, several times faster than saphyr's general scanner, and feeds the same [`Builder`], so
//! trees, lines and duplicate keys come out of one code path.
//!
//! Anything outside the subset makes it give up on the whole text, which then goes to saphyr:
//! anchors, aliases, tags, folded (`>`) blocks, multi-line quoted scalars or flow collections,
//! tabs in the structure, `...`, empty documents, complex keys, and whatever else saphyr might
//! reject. Errors are therefore always saphyr's, and a text this accepts must parse exactly as
//! saphyr parses it. `tests/yaml_block_subset.rs` holds it to that on the real charts' renders
//! and on mutations of them.

use super::saphyr::{Builder, Collection, Frame};
use super::{line_u32, Parsed, Style};
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// The text is outside the subset: parse it with saphyr.
pub(super) struct Unsupported;

type Step<T = ()> = Result<T, Unsupported>;

/// Parses `text` (lines numbered from `first_line`) if it is in the block subset.
pub(super) fn parse(text: &str, first_line: usize) -> Option<Vec<Parsed>> {
    parse_with(text, Builder::new(first_line), first_line)
}

/// [`parse`], building only the outline (see [`super::parse_one_outline`]).
pub(super) fn parse_outline(text: &str, first_line: usize) -> Option<Vec<Parsed>> {
    let mut builder = Builder::new(first_line);
    builder.outline = true;
    parse_with(text, builder, first_line)
}

fn parse_with(text: &str, builder: Builder, first_line: usize) -> Option<Vec<Parsed>> {
    if !plain_characters(text) {
        return None;
    }
    let mut scan = Scan {
        text,
        pos: 0,
        end: line_end(text, 0),
        line: 0,
        offset: first_line.saturating_sub(1),
        builder,
    };
    scan.stream().ok()?;
    Some(scan.builder.docs)
}

/// No carriage returns, tabs only where a literal block may hold them (checked per line), no
/// control characters, byte-order marks or Unicode line breaks: saphyr treats those specially.
fn plain_characters(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.iter().any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f) {
        return false;
    }
    if bytes.is_ascii() {
        return true;
    }
    !text.chars().any(|c| {
        matches!(
            c,
            '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    })
}

struct Scan<'a> {
    text: &'a str,
    /// Byte offsets of the current line's start and end (its line break, or the text's end).
    pos: usize,
    end: usize,
    /// 0-based index of the current line in `text`.
    line: usize,
    /// Added to 1-based text lines to give file lines.
    offset: usize,
    builder: Builder,
}

fn line_end(text: &str, pos: usize) -> usize {
    memchr::memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i)
}

/// Where ` #` (a comment) starts in `text`. Byte searches, not `str::find`: these run on every
/// line of a render, and a substring searcher costs more to set up than such a line to scan.
fn comment_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'#', bytes).find(|&i| i > 0 && bytes[i - 1] == b' ').map(|i| i - 1)
}

/// Where `: ` (a mapping value indicator) is in `text`.
fn colon_space(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b':', bytes).find(|&i| bytes.get(i + 1) == Some(&b' '))
}

/// Leading spaces of a line.
fn indent_of(line: &str) -> usize {
    line.bytes().take_while(|&b| b == b' ').count()
}

/// `-` alone or followed by a space: a block sequence entry.
fn is_entry(rest: &str) -> bool {
    rest == "-" || rest.starts_with("- ")
}

/// After a value: nothing, or a comment separated by at least one space.
fn only_comment(after: &str) -> bool {
    let trimmed = after.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < after.len())
}

impl<'a> Scan<'a> {
    /// The current line, without its line break (empty at the end of the text).
    fn current(&self) -> &'a str {
        &self.text[self.pos..self.end]
    }

    fn mark(&self) -> (usize, usize, usize) {
        (self.pos, self.end, self.line)
    }

    fn reset(&mut self, mark: (usize, usize, usize)) {
        (self.pos, self.end, self.line) = mark;
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn advance(&mut self) {
        self.pos = (self.end + 1).min(self.text.len());
        self.end = line_end(self.text, self.pos);
        self.line += 1;
    }

    /// File line of the current line.
    fn file_line(&self) -> u32 {
        line_u32(self.line + 1 + self.offset)
    }

    /// Skips blank and comment lines; the indentation of the next line with content, if any
    /// (none at the end, or at a `---` line that ends the document). Lines that could change how
    /// the text parses (tabs, `...`) give up.
    fn next_content(&mut self) -> Step<Option<usize>> {
        while !self.at_end() {
            let line = self.current();
            if line.starts_with("---") {
                return Ok(None);
            }
            if memchr::memchr(b'\t', line.as_bytes()).is_some() || line.starts_with("...") {
                return Err(Unsupported);
            }
            let indent = indent_of(line);
            if indent < line.len() && !line[indent..].starts_with('#') {
                return Ok(Some(indent));
            }
            self.advance();
        }
        Ok(None)
    }

    /// Documents, separated by `---` lines (an embedded text may hold several).
    fn stream(&mut self) -> Step {
        loop {
            if let Some(indent) = self.next_content()? {
                self.document(indent)?;
            }
            if self.at_end() {
                return Ok(());
            }
            // At a `---` line. Empty documents (`---` twice, or last) are saphyr's to place.
            if self.current().trim_end_matches(' ') != "---" {
                return Err(Unsupported);
            }
            self.advance();
            if self.next_content()?.is_none() {
                return Err(Unsupported);
            }
        }
    }

    /// One document whose first content line is the current one, indented by `indent`.
    fn document(&mut self, indent: usize) -> Step {
        self.builder.document_start();
        let rest = &self.current()[indent..];
        // A scalar document is not a Kubernetes object; saphyr can say what it is.
        if !is_entry(rest) && key_of(rest)?.is_none() {
            return Err(Unsupported);
        }
        self.node(indent, -1)?;
        if self.next_content()?.is_some() {
            return Err(Unsupported);
        }
        self.builder.document_end(self.file_line());
        Ok(())
    }

    /// The node whose content starts at column `col` of the current line, inside a block whose
    /// indentation is `parent` (-1 at the root).
    fn node(&mut self, col: usize, parent: isize) -> Step {
        let rest = &self.current()[col..];
        if is_entry(rest) {
            self.sequence(col)
        } else if key_of(rest)?.is_some() {
            self.mapping(col)
        } else {
            self.scalar_or_empty(col, parent)
        }
    }

    /// A block mapping whose keys sit at column `indent` (the first possibly after `- `).
    fn mapping(&mut self, indent: usize) -> Step {
        self.start(Collection::Map)?;
        loop {
            let line = self.current();
            let (key, after) = key_of(&line[indent..])?.ok_or(Unsupported)?;
            self.builder.scalar(&key, ScalarStyle::Plain, None, 0, self.file_line());
            let value_col = line.len() - after.trim_start_matches(' ').len();
            self.value(value_col, indent, false)?;
            match self.next_content()? {
                Some(next) if next == indent => {}
                Some(next) if next > indent => return Err(Unsupported),
                _ => break,
            }
        }
        self.builder.end((0, 0)).map_err(|_| Unsupported)
    }

    /// A block sequence whose `-` sit at column `indent`.
    fn sequence(&mut self, indent: usize) -> Step {
        self.start(Collection::Seq)?;
        loop {
            let line = self.current();
            let after = &line[indent + 1..];
            let value_col = line.len() - after.trim_start_matches(' ').len();
            self.value(value_col, indent, true)?;
            match self.next_content()? {
                Some(next) if next == indent && is_entry(&self.current()[indent..]) => {}
                Some(next) if next > indent => return Err(Unsupported),
                _ => break,
            }
        }
        self.builder.end((0, 0)).map_err(|_| Unsupported)
    }

    fn start(&mut self, kind: Collection) -> Step {
        let line = self.file_line();
        self.builder.start(kind, 0, line, (0, 0)).map_err(|_| Unsupported)
    }

    /// The value after `key:` or `-`, starting at `col` of the current line (or on the lines
    /// below when nothing but a comment follows), in a block at indentation `indent`.
    fn value(&mut self, col: usize, indent: usize, after_dash: bool) -> Step {
        let rest = &self.current()[col..];
        // `col` is past the space after `:` or `-`, so a `#` there starts a comment.
        if !(rest.is_empty() || rest.starts_with('#')) {
            // Content on this line: a scalar, or after `- ` also a nested entry or mapping
            // (`key: a: b` is an error, saphyr's to report).
            return if after_dash {
                self.node(col, indent as isize)
            } else {
                self.scalar_or_empty(col, indent as isize)
            };
        }
        let key_line = self.file_line();
        self.advance();
        match self.next_content()? {
            Some(next) if next > indent => self.node(next, indent as isize),
            // A sequence may sit at its key's indentation (`key:` then `- item`).
            Some(next)
                if next == indent && is_entry(&self.current()[next..]) && self.in_mapping() =>
            {
                self.sequence(next)
            }
            _ => {
                // Nothing: null. saphyr places the empty scalar on the key's line.
                self.builder.scalar("", ScalarStyle::Plain, None, 0, key_line);
                Ok(())
            }
        }
    }

    fn in_mapping(&self) -> bool {
        matches!(self.builder.stack.last(), Some(Frame::Map { .. }))
    }

    /// A scalar (or `{}`/`[]`) starting at `col`; consumes the line (or a literal block's lines).
    fn scalar_or_empty(&mut self, col: usize, parent: isize) -> Step {
        let line = self.current();
        let rest = &line[col..];
        let file_line = self.file_line();
        match rest.as_bytes()[0] {
            b'|' => return self.literal(&rest[1..], parent),
            b'"' | b'\'' => {
                let (text, after) = quoted(rest)?;
                if !only_comment(after) {
                    return Err(Unsupported);
                }
                let style = if rest.starts_with('"') {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                self.builder.scalar(&text, style, None, 0, file_line);
            }
            b'{' | b'[' => self.flow_collection(rest)?,
            _ => {
                let (first, commented) = plain(rest)?;
                self.advance();
                let text = self.plain_continued(first, commented, parent)?;
                self.builder.scalar(&text, ScalarStyle::Plain, None, 0, file_line);
                return Ok(());
            }
        }
        self.advance();
        Ok(())
    }

    /// A plain scalar whose first line was `first`: folded with its continuation lines (more
    /// indented than `parent`), as YAML folds them: a line break is a space, each empty line
    /// between two lines a line break.
    fn plain_continued(
        &mut self,
        first: &'a str,
        commented: bool,
        parent: isize,
    ) -> Step<Cow<'a, str>> {
        let mut text: Option<String> = None;
        loop {
            let mark = self.mark();
            let mut empty = 0usize;
            while !self.at_end() && indent_of(self.current()) == self.current().len() {
                empty += 1;
                self.advance();
            }
            let next = self.current();
            let indent = indent_of(next);
            if self.at_end() || indent as isize <= parent || next[indent..].starts_with('#') {
                self.reset(mark);
                break;
            }
            // A comment ends a plain scalar; text after it is an error. Tabs, `: ` and comments
            // inside continuation lines are left to saphyr. An indicator starting a
            // continuation line is text (`&& has(x)` in a CRD's validation rule): YAML reads
            // indicators only where a node starts.
            let piece = next[indent..].trim_end_matches(' ');
            if commented
                || next.contains('\t')
                || !continuation_may_start_with(piece.as_bytes()[0])
                || colon_space(piece).is_some()
                || comment_start(piece).is_some()
                || piece.ends_with(':')
            {
                return Err(Unsupported);
            }
            let folded = text.get_or_insert_with(|| first.to_string());
            if empty == 0 {
                folded.push(' ');
            }
            folded.extend(std::iter::repeat_n('\n', empty));
            folded.push_str(piece);
            self.advance();
        }
        Ok(text.map_or(Cow::Borrowed(first), Cow::Owned))
    }

    /// A one-line flow sequence or mapping of scalars (`["a", b]`, `{cluster_name: x:9977}`),
    /// the flow collections templates commonly write; nested or multi-line ones are saphyr's.
    fn flow_collection(&mut self, rest: &str) -> Step {
        let line = self.file_line();
        let (kind, close) =
            if rest.starts_with('[') { (Collection::Seq, b']') } else { (Collection::Map, b'}') };
        self.start(kind)?;
        let mut inner = &rest[1..];
        loop {
            inner = inner.trim_start_matches(' ');
            if inner.as_bytes().first() == Some(&close) {
                if !only_comment(&inner[1..]) {
                    return Err(Unsupported);
                }
                break;
            }
            if kind == Collection::Map {
                // `key: value`, the key plain or quoted, on this line.
                let (key, after) = flow_scalar(inner, close, true)?;
                self.builder.scalar(&key.0, key.1, None, 0, line);
                inner = after.strip_prefix(": ").ok_or(Unsupported)?.trim_start_matches(' ');
            }
            let ((text, style), after) = flow_scalar(inner, close, false)?;
            self.builder.scalar(&text, style, None, 0, line);
            let after = after.trim_start_matches(' ');
            inner = match after.strip_prefix(',') {
                // `[a, ]`: a trailing comma is saphyr's to judge.
                Some(next) if next.trim_start_matches(' ').as_bytes().first() == Some(&close) => {
                    return Err(Unsupported)
                }
                Some(next) => next,
                None if after.as_bytes().first() == Some(&close) => after,
                None => return Err(Unsupported),
            };
        }
        self.builder.end((0, 0)).map_err(|_| Unsupported)
    }

    /// A literal block scalar; `header` is what follows `|` on its line.
    fn literal(&mut self, header: &str, parent: isize) -> Step {
        let (chomp, rest) = match header.as_bytes().first() {
            Some(b'-') => (Chomp::Strip, &header[1..]),
            Some(b'+') => (Chomp::Keep, &header[1..]),
            _ => (Chomp::Clip, header),
        };
        // An explicit indentation indicator (`|2`) or text after the header: saphyr's job.
        if !only_comment(rest) {
            return Err(Unsupported);
        }
        let indicator_line = self.file_line();
        self.advance();
        // Leading empty lines, then the first content line fixes the indentation.
        let mut leading = 0usize;
        let mut widest_blank = 0usize;
        let content_indent = loop {
            if self.at_end() {
                return Err(Unsupported);
            }
            let line = self.current();
            let indent = indent_of(line);
            if indent == line.len() {
                widest_blank = widest_blank.max(indent);
                leading += 1;
                self.advance();
                continue;
            }
            break indent;
        };
        // An empty block, or blank lines wider than the content: edge cases saphyr settles.
        if content_indent as isize <= parent || widest_blank > content_indent {
            return Err(Unsupported);
        }
        // Measured first, then copied into a string of its exact size: a large render holds
        // thousands of these blocks, and growing a string leaves holes in the heap behind it.
        let body = self.mark();
        let (len, trailing_blank) = self.literal_body(content_indent, None)?;
        if !self.builder.keeps_values() {
            self.builder.scalar("", ScalarStyle::Literal, None, 0, indicator_line);
            return Ok(());
        }
        let keep = if matches!(chomp, Chomp::Keep) { trailing_blank } else { 0 };
        let mut text = String::with_capacity(leading + len + keep);
        text.extend(std::iter::repeat_n('\n', leading));
        self.reset(body);
        self.literal_body(content_indent, Some(&mut text))?;
        match chomp {
            Chomp::Clip => {}
            Chomp::Strip => {
                text.pop();
            }
            Chomp::Keep => text.extend(std::iter::repeat_n('\n', trailing_blank)),
        }
        self.builder.scalar_owned(text, Style::Block, indicator_line);
        Ok(())
    }

    /// The lines of a literal block from the current one, indented by at least `content_indent`
    /// (empty lines may be less): their text's length, clipped to one final line break, and the
    /// empty lines after the last content line. Appends the text to `out` when given.
    fn literal_body(
        &mut self,
        content_indent: usize,
        mut out: Option<&mut String>,
    ) -> Step<(usize, usize)> {
        let (mut len, mut trailing_blank) = (0usize, 0usize);
        while !self.at_end() {
            let line = self.current();
            let indent = indent_of(line);
            if self.end == self.text.len()
                && !line.is_empty()
                && indent >= content_indent.min(line.len())
            {
                // The last line, without a line break: chomping differs at the end of input.
                return Err(Unsupported);
            }
            if indent == line.len() && indent <= content_indent {
                trailing_blank += 1;
            } else if indent < content_indent {
                break;
            } else {
                let content = &line[content_indent..];
                len += trailing_blank + content.len() + 1;
                if let Some(out) = out.as_deref_mut() {
                    out.extend(std::iter::repeat_n('\n', trailing_blank));
                    out.push_str(content);
                    out.push('\n');
                }
                trailing_blank = 0;
            }
            self.advance();
        }
        Ok((len, trailing_blank))
    }
}

#[derive(Clone, Copy)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

/// If `rest` starts with a mapping key (`key:` followed by a space or the line's end), the key
/// and the text after its colon.
fn key_of(rest: &str) -> Step<Option<(Cow<'_, str>, &str)>> {
    let bytes = rest.as_bytes();
    match bytes.first() {
        None => return Ok(None),
        Some(b'"' | b'\'') => {
            let Ok((key, after)) = quoted(rest) else { return Err(Unsupported) };
            return match after.strip_prefix(':') {
                Some(value) if value.is_empty() || value.starts_with(' ') => Ok(Some((key, value))),
                _ if only_comment(after) => Ok(None),
                _ => Err(Unsupported),
            };
        }
        Some(&first) if !plain_may_start_with(first) => return Ok(None),
        _ => {}
    }
    let mut from = 0;
    while let Some(found) = memchr::memchr(b':', &bytes[from..]) {
        let colon = from + found;
        if colon + 1 == bytes.len() || bytes[colon + 1] == b' ' {
            let key = &rest[..colon];
            // `a #b: c` is a comment, `a : b` a key with trailing spaces, long keys are not
            // implicit: leave those to saphyr.
            if comment_start(key).is_some() || key.ends_with(' ') || key.len() > 1000 {
                return Err(Unsupported);
            }
            return Ok(Some((Cow::Borrowed(key), &rest[colon + 1..])));
        }
        from = colon + 1;
    }
    Ok(None)
}

/// Characters a plain key may start with, conservatively: none of YAML's indicators, not even
/// `-`, `?` or `:` followed by text.
fn plain_may_start_with(first: u8) -> bool {
    !matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// Characters a continuation line of a plain scalar may start with: any but a comment's `#`
/// (ended above), and, conservatively, `:`, `-` and `?`, which begin a node on a line of its own.
fn continuation_may_start_with(first: u8) -> bool {
    !matches!(first, b'#' | b':' | b'-' | b'?' | b' ')
}

/// The first line of a plain scalar at the start of `rest`, without its comment and trailing
/// spaces, and whether a comment followed it.
fn plain(rest: &str) -> Step<(&str, bool)> {
    // A value may also start with `-` followed by text: `-1`, `--flag`.
    let dash_text = rest.starts_with('-') && !rest[1..].starts_with(' ') && rest.len() > 1;
    if !plain_may_start_with(rest.as_bytes()[0]) && !dash_text {
        return Err(Unsupported);
    }
    let (text, commented) = match comment_start(rest) {
        Some(comment) => (&rest[..comment], true),
        None => (rest, false),
    };
    let text = text.trim_end_matches(' ');
    // `a: b: c` and `a:` inside a value are errors or keys: saphyr's to report.
    if colon_space(text).is_some() || text.ends_with(':') {
        return Err(Unsupported);
    }
    Ok((text, commented))
}

/// A scalar inside a one-line flow collection closed by `close`: its text and style, and what
/// follows it. A plain key ends at `: `; a plain value at `,` or `close`, and may hold `:` not
/// followed by a space (`host:9977`).
fn flow_scalar(inner: &str, close: u8, is_key: bool) -> Step<((Cow<'_, str>, ScalarStyle), &str)> {
    match *inner.as_bytes().first().ok_or(Unsupported)? {
        quote @ (b'"' | b'\'') => {
            let (text, after) = quoted(inner)?;
            let style =
                if quote == b'"' { ScalarStyle::DoubleQuoted } else { ScalarStyle::SingleQuoted };
            Ok(((text, style), after))
        }
        first if plain_may_start_with(first) => {
            let end = if is_key {
                colon_space(inner).ok_or(Unsupported)?
            } else {
                inner.bytes().position(|b| b == b',' || b == close).ok_or(Unsupported)?
            };
            let text = inner[..end].trim_end_matches(' ');
            let bytes = text.as_bytes();
            // `[a, , b]` and `{a: }` are saphyr's to judge.
            if text.is_empty() || (is_key && text.contains(':')) {
                return Err(Unsupported);
            }
            // Nested collections, comments, `: ` and `:` before a flow indicator are saphyr's.
            let colon_unsafe = bytes
                .iter()
                .enumerate()
                .any(|(i, &b)| b == b':' && bytes.get(i + 1).is_none_or(|&n| n == b' '));
            if text.contains(['#', '[', ']', '{', '}', ',']) || colon_unsafe {
                return Err(Unsupported);
            }
            Ok(((Cow::Borrowed(text), ScalarStyle::Plain), &inner[end..]))
        }
        _ => Err(Unsupported),
    }
}

/// A one-line quoted scalar at the start of `rest` (`"` or `'`): its text and what follows the
/// closing quote.
fn quoted(rest: &str) -> Step<(Cow<'_, str>, &str)> {
    let quote = rest.as_bytes()[0];
    let body = &rest[1..];
    if quote == b'\'' {
        let mut out: Option<String> = None;
        let mut i = 0;
        let bytes = body.as_bytes();
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    out.get_or_insert_with(|| body[..i].to_string()).push('\'');
                    i += 2;
                    continue;
                }
                let text = match out {
                    Some(owned) => Cow::Owned(owned),
                    None => Cow::Borrowed(&body[..i]),
                };
                return Ok((text, &body[i + 1..]));
            }
            let ch_len = utf8_len(bytes[i]);
            if let Some(o) = out.as_mut() {
                o.push_str(&body[i..i + ch_len]);
            }
            i += ch_len;
        }
        return Err(Unsupported);
    }
    let bytes = body.as_bytes();
    let mut out: Option<String> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let text = match out {
                    Some(owned) => Cow::Owned(owned),
                    None => Cow::Borrowed(&body[..i]),
                };
                return Ok((text, &body[i + 1..]));
            }
            b'\\' => {
                let o = out.get_or_insert_with(|| body[..i].to_string());
                let (ch, used) = escape(&body[i + 1..])?;
                o.push(ch);
                i += 1 + used;
            }
            b => {
                let ch_len = utf8_len(b);
                if let Some(o) = out.as_mut() {
                    o.push_str(&body[i..i + ch_len]);
                }
                i += ch_len;
            }
        }
    }
    Err(Unsupported)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// A double-quoted escape (after the backslash): the character and how many bytes it used.
fn escape(after: &str) -> Step<(char, usize)> {
    let bytes = after.as_bytes();
    let simple = match bytes.first().ok_or(Unsupported)? {
        b'0' => '\0',
        b'a' => '\u{7}',
        b'b' => '\u{8}',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\u{b}',
        b'f' => '\u{c}',
        b'r' => '\r',
        b'e' => '\u{1b}',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(after, 2),
        b'u' => return hex_escape(after, 4),
        b'U' => return hex_escape(after, 8),
        _ => return Err(Unsupported),
    };
    Ok((simple, 1))
}

fn hex_escape(after: &str, digits: usize) -> Step<(char, usize)> {
    let hex = after.get(1..1 + digits).ok_or(Unsupported)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Unsupported);
    }
    let code = u32::from_str_radix(hex, 16).map_err(|_| Unsupported)?;
    Ok((char::from_u32(code).ok_or(Unsupported)?, 1 + digits))
}

#[cfg(test)]
mod tests {
    use super::super::parse_all_general;
    use super::*;

    /// Taken by the fast path, with saphyr's result.
    fn taken(text: &str) {
        let fast = parse(text, 3).unwrap_or_else(|| panic!("fast path gave up on:\n{text}"));
        assert_eq!(fast, parse_all_general(text, 3).unwrap(), "differs from saphyr on:\n{text}");
    }

    /// Left to saphyr.
    fn left(text: &str) {
        assert!(parse(text, 1).is_none(), "fast path took:\n{text}");
    }

    #[test]
    fn takes_what_templates_render() {
        for text in [
            "a: 1\nb: text with spaces # comment\nc: \"quoted \\\" \\u00e9 \\x41\"\nd: 'it''s'\ne: ~\nf: -1\ng: --flag\n",
            "key:\n- a\n- b\nnext:\n  - c\n  -\n  - k: v\n    k2: v2\n",
            "empty:\nlast: {}\nlist: []\n",
            "m:\n  # comment\n\n  n: 1 # trailing\n",
            "flow: [\"a\", b, 'c']\nmap: {cluster_name: host:9977, \"k\": v}\n",
            "lit: |\n  line 1\n\n  line 3\nstrip: |-\n  x\n\nkeep: |+\n  y\n\n\nend: 1\n",
            "lit: |\n\n    leading blank\n      deeper\n     \nafter: 1\n",
            "desc: a plain scalar\n  folded over\n\n  two lines\nnext: 1\n",
            "- - nested\n  - seq\n- k: v\n",
            "a: 1\n---\nb: 2\n",
            "# only a comment\n",
            "url: http://x:80/a#b\n",
        ] {
            taken(text);
        }
    }

    #[test]
    fn leaves_the_rest_to_saphyr() {
        for text in [
            "a: &anchor 1\nb: *anchor\n",
            "a: !!str 1\n",
            "a: >\n  folded\n",
            "a: |2\n  indicated\n",
            "a: \"multi\n  line\"\n",
            "a:\n\tb: tab\n",
            "a: 1\r\nb: 2\r\n",
            "a: {b: {c: 1}}\n",
            "a: [1, 2,\n  3]\n",
            "? complex\n: key\n",
            "a: b: c\n",
            "just a scalar\n",
            "a: 1\n...\n",
            "---\n---\na: 1\n",
            "a: |\nb: empty literal\n",
            "a: x\n  # comment\n  continued\n",
        ] {
            left(text);
            // Whatever saphyr makes of it is what `parse_all` returns.
            assert_eq!(super::super::parse_all(text, 1), parse_all_general(text, 1));
        }
    }

    #[test]
    fn outline_keeps_identity_and_duplicates_only() {
        let text = "apiVersion: v1\nkind: ClusterRole\nmetadata:\n  name: r\n  labels:\n    a: b\nrules:\n- verbs: [get]\n  verbs: [list]\n";
        let mut builder = Builder::new(1);
        builder.outline = true;
        let outline = parse_with(text, builder, 1).unwrap().pop().unwrap();
        let whole = parse(text, 1).unwrap().pop().unwrap();
        assert_eq!(
            outline.root.path("kind").and_then(super::super::Node::as_str),
            Some("ClusterRole")
        );
        assert_eq!(
            outline.root.path("metadata.name").and_then(super::super::Node::as_str),
            Some("r")
        );
        assert!(outline.root.path("metadata.labels").unwrap().is_null());
        assert!(
            outline.root.path("rules.0").unwrap().is_null(),
            "collections below the second level are dropped"
        );
        assert_eq!(outline.duplicates, whole.duplicates);
        assert_eq!(outline.duplicates[0].path, "rules.0.verbs");
    }
}
