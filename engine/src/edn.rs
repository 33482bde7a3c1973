//! A small EDN reader, enough for Jepsen histories: maps, vectors, lists, sets, keywords,
//! strings, integers, floats, nil, booleans, symbols, `;` comments, `#_` discards and tagged
//! literals (`#inst "…"`, `#jepsen.history.Op{…}`: the tag is kept beside the value, so a reader
//! can use the value and say what it skipped). Untrusted input: nesting depth, sizes and every
//! error are bounded and reported with the line.

use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    List(Vec<Edn>),
    Set(Vec<Edn>),
    /// Keys in source order (duplicates rejected).
    Map(Vec<(Edn, Edn)>),
    /// `#tag value`.
    Tagged(String, Box<Edn>),
}

impl Edn {
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries.iter().find(|(k, _)| matches!(k, Edn::Keyword(s) if s == key)).map(|(_, v)| v),
            Edn::Tagged(_, v) => v.get(key),
            _ => None,
        }
    }

    /// The value under any tags (`#jepsen.history.Op{…}` is its map), and the outermost tag.
    pub fn untagged(&self) -> (&Edn, Option<&str>) {
        match self {
            Edn::Tagged(tag, v) => (v.untagged().0, Some(tag)),
            other => (other, None),
        }
    }
    pub fn keyword(&self) -> Option<&str> {
        match self {
            Edn::Keyword(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EdnError {
    pub line: usize,
    pub message: String,
}

const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Reader<'a> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError { line: self.line, message: message.into() })
    }

    fn skip_ws(&mut self) {
        while let Some(&c) = self.src.get(self.pos) {
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | b',' => self.pos += 1,
                b';' => {
                    while self.src.get(self.pos).is_some_and(|c| *c != b'\n') {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Edn, EdnError> {
        if depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        self.skip_ws();
        let Some(&c) = self.src.get(self.pos) else { return self.err("unexpected end of input") };
        match c {
            b'{' => {
                self.pos += 1;
                let items = self.seq(b'}', depth)?;
                if items.len() % 2 != 0 {
                    return self.err("a map needs an even number of forms");
                }
                let mut entries: Vec<(Edn, Edn)> = Vec::new();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if entries.iter().any(|(x, _)| *x == k) {
                        return self.err("a map repeats a key");
                    }
                    entries.push((k, v));
                }
                Ok(Edn::Map(entries))
            }
            b'[' => {
                self.pos += 1;
                Ok(Edn::Vector(self.seq(b']', depth)?))
            }
            b'(' => {
                self.pos += 1;
                Ok(Edn::List(self.seq(b')', depth)?))
            }
            b'#' if self.src.get(self.pos + 1) == Some(&b'{') => {
                self.pos += 2;
                Ok(Edn::Set(self.seq(b'}', depth)?))
            }
            b'#' if self.src.get(self.pos + 1) == Some(&b'_') => {
                // `#_ form`: the form is read and discarded; the next one takes its place.
                self.pos += 2;
                self.value(depth + 1)?;
                self.value(depth + 1)
            }
            b'#' => {
                self.pos += 1;
                let tag = self.token();
                if tag.is_empty() || !tag.as_bytes()[0].is_ascii_alphabetic() {
                    return self.err(format!("\"#{}\" is not a tag (write #name value)", crate::vocab::truncate(&tag)));
                }
                let value = self.value(depth + 1)?;
                Ok(Edn::Tagged(tag, Box::new(value)))
            }
            b'"' => self.string(),
            b':' => {
                self.pos += 1;
                let t = self.token();
                if t.is_empty() {
                    return self.err("empty keyword");
                }
                Ok(Edn::Keyword(t))
            }
            b'}' | b']' | b')' => self.err(format!("unexpected '{}'", c as char)),
            _ => {
                let t = self.token();
                if t.is_empty() {
                    return self.err(format!("unexpected character '{}'", (c as char).escape_default()));
                }
                Ok(match t.as_str() {
                    "nil" => Edn::Nil,
                    "true" => Edn::Bool(true),
                    "false" => Edn::Bool(false),
                    _ => {
                        let first = t.as_bytes()[0];
                        if first.is_ascii_digit() || ((first == b'-' || first == b'+') && t.len() > 1) {
                            let num = t.trim_end_matches('N').trim_end_matches('M');
                            if let Ok(i) = num.parse::<i64>() {
                                Edn::Int(i)
                            } else if let Ok(f) = num.parse::<f64>() {
                                Edn::Float(f)
                            } else {
                                return self.err(format!("\"{}\" is not a number", crate::vocab::truncate(&t)));
                            }
                        } else {
                            Edn::Symbol(t)
                        }
                    }
                })
            }
        }
    }

    fn token(&mut self) -> String {
        let start = self.pos;
        while let Some(&c) = self.src.get(self.pos) {
            if c.is_ascii_whitespace() || matches!(c, b',' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'"' | b';') {
                break;
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.src[start..self.pos]).into_owned()
    }

    fn string(&mut self) -> Result<Edn, EdnError> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.src.get(self.pos) else { return self.err("unterminated string") };
            self.pos += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.src.get(self.pos) else { return self.err("unterminated string") };
                    self.pos += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                }
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                _ => out.push(c),
            }
            if out.len() > 64 * 1024 {
                return self.err("string longer than 64 KB");
            }
        }
        Ok(Edn::Str(String::from_utf8_lossy(&out).into_owned()))
    }

    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<Edn>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.src.get(self.pos) {
                None => return self.err(format!("missing '{}'", close as char)),
                Some(&c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => items.push(self.value(depth + 1)?),
            }
            if items.len() > 1_000_000 {
                return self.err("collection too large");
            }
        }
    }
}

/// Reads every top-level form, with the line each starts on.
pub fn read_all(text: &str) -> Result<Vec<(usize, Edn)>, EdnError> {
    let mut r = Reader { src: text.as_bytes(), pos: 0, line: 1 };
    let mut out = Vec::new();
    loop {
        r.skip_ws();
        if r.pos >= r.src.len() {
            return Ok(out);
        }
        let line = r.line;
        out.push((line, r.value(0)?));
    }
}

/// A compact printer for the forms this crate writes.
pub fn write(v: &Edn) -> String {
    match v {
        Edn::Nil => "nil".into(),
        Edn::Bool(b) => b.to_string(),
        Edn::Int(i) => i.to_string(),
        Edn::Float(f) => format!("{f}"),
        Edn::Str(s) => format!("{s:?}"),
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Symbol(s) => s.clone(),
        Edn::Vector(v) => format!("[{}]", v.iter().map(write).collect::<Vec<_>>().join(" ")),
        Edn::List(v) => format!("({})", v.iter().map(write).collect::<Vec<_>>().join(" ")),
        Edn::Set(v) => format!("#{{{}}}", v.iter().map(write).collect::<Vec<_>>().join(" ")),
        Edn::Map(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{} {}", write(k), write(v))).collect::<Vec<_>>().join(", ")
        ),
        Edn::Tagged(tag, v) => format!("#{tag} {}", write(v)),
    }
}

/// Reads a history: forms one after another, or one top-level vector or list of them (as Jepsen
/// and Knossos write), each with the line it starts on — the element's own line, not the
/// collection's.
pub fn read_history(text: &str) -> Result<Vec<(usize, Edn)>, EdnError> {
    let mut r = Reader { src: text.as_bytes(), pos: 0, line: 1 };
    r.skip_ws();
    let close = match r.src.get(r.pos) {
        Some(b'[') => b']',
        Some(b'(') => b')',
        _ => return read_all(text),
    };
    r.pos += 1;
    let mut out = Vec::new();
    loop {
        r.skip_ws();
        match r.src.get(r.pos) {
            None => return r.err(format!("missing '{}' at the end of the history", close as char)),
            Some(&c) if c == close => {
                r.pos += 1;
                break;
            }
            _ => {
                let line = r.line;
                out.push((line, r.value(1)?));
            }
        }
        if out.len() > 10_000_000 {
            return r.err("history too large");
        }
    }
    // Anything after the collection is more of the history, one form at a time.
    loop {
        r.skip_ws();
        if r.pos >= r.src.len() {
            return Ok(out);
        }
        let line = r.line;
        out.push((line, r.value(0)?));
    }
}

/// Counts of each keyword value of `:type`, handy for error messages.
pub fn type_counts(forms: &[(usize, Edn)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (_, f) in forms {
        if let Some(t) = f.get("type").and_then(|t| t.keyword()) {
            *m.entry(t.to_string()).or_default() += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jepsen_lines() {
        let text = "{:process 0, :type :invoke, :f :write, :value 3}\n{:process 0 :type :ok :f :write :value 3}\n; comment\n{:process 1, :type :ok, :f :cas, :value [1 2]}";
        let forms = read_all(text).unwrap();
        assert_eq!(forms.len(), 3);
        assert_eq!(forms[2].0, 4);
        assert_eq!(forms[0].1.get("value"), Some(&Edn::Int(3)));
        assert_eq!(forms[2].1.get("value"), Some(&Edn::Vector(vec![Edn::Int(1), Edn::Int(2)])));
        let round = read_all(&write(&forms[0].1)).unwrap();
        assert_eq!(round[0].1, forms[0].1);
    }

    #[test]
    fn reads_collections_of_ops_tags_and_discards_with_each_element_s_line() {
        let text = "(\n {:process 0 :type :invoke :f :read :value nil}\n ; a comment\n #_ {:discarded true}\n #jepsen.history.Op{:index 1 :process 0 :type :ok :f :read :value 2 :time #inst \"2020-01-01\"}\n)\n";
        let forms = read_history(text).unwrap();
        assert_eq!(forms.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![2, 4]);
        let (op, tag) = forms[1].1.untagged();
        assert_eq!(tag, Some("jepsen.history.Op"));
        assert_eq!(op.get("value"), Some(&Edn::Int(2)));
        assert!(matches!(op.get("time"), Some(Edn::Tagged(t, _)) if t == "inst"));
        let vector = "[{:a 1}\n {:a 2}\n {:a 3}]";
        assert_eq!(read_history(vector).unwrap().iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(read_history("{:a 1}\n{:a 2}").unwrap().len(), 2);
        assert_eq!(read_history("[{:a 1}\n {:a 2").unwrap_err().line, 2);
        assert!(read_history("# 3").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line) in [("{:a 1}\n{:b", 2), ("{:a}", 1), ("\n\n[1 2 )", 3), ("\"abc", 1), ("{:a 1 :a 2}", 1)] {
            let e = read_all(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
        }
        let deep = "[".repeat(100);
        assert!(read_all(&deep).is_err());
    }
}
