//! Writing a history as Jepsen EDN (what the page's history export downloads).

#[allow(unused_imports)]
use super::*;

pub(super) fn edn_key(name: &str) -> Edn {
    if !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(|c: char| c.is_ascii_digit())
    {
        Edn::Keyword(name.to_string())
    } else {
        Edn::Str(name.to_string())
    }
}

/// Writes a history in Jepsen's format: one map per line, invocations and completions in time
/// order, `:time` in nanoseconds, independent `[key value]` tuples when there is more than one
/// key. Only register operations are written; others are counted in a leading comment.
pub fn export_edn(history: &History, names: &Names) -> String {
    let keys: std::collections::BTreeSet<Sym> = history.ops.iter().filter_map(|o| o.op.key()).collect();
    let multi = keys.len() > 1;
    let mut events: Vec<(u64, u8, u32, String)> = Vec::new();
    let mut skipped = 0;
    for o in &history.ops {
        let Some(invoke) = o.invoke_at else { continue };
        let (f, key, in_v, out_v) = match (&o.op, &o.result) {
            (Op::Write { key, value } | Op::Bulk { key, value, .. }, _) => {
                ("write", *key, Edn::Int(*value), Edn::Int(*value))
            }
            (Op::Read { key }, r) => {
                let out = match r {
                    Some(OpResult::Read(ReadValue::Register(v))) if v.len() == 1 => Edn::Int(v[0].value),
                    Some(OpResult::Read(ReadValue::Register(v))) if v.len() > 1 => {
                        Edn::Set(v.iter().map(|s| Edn::Int(s.value)).collect())
                    }
                    _ => Edn::Nil,
                };
                ("read", *key, Edn::Nil, out)
            }
            _ => {
                skipped += 1;
                continue;
            }
        };
        let wrap = |v: Edn| if multi { Edn::Vector(vec![edn_key(names.get(key)), v]) } else { v };
        let line = |ty: &str, v: Edn, t: u64| {
            write(&Edn::Map(vec![
                (Edn::Keyword("process".into()), Edn::Int(o.session.0 as i64)),
                (Edn::Keyword("type".into()), Edn::Keyword(ty.into())),
                (Edn::Keyword("f".into()), Edn::Keyword(f.into())),
                (Edn::Keyword("value".into()), wrap(v)),
                (Edn::Keyword("time".into()), Edn::Int((t * 1000) as i64)),
            ]))
        };
        events.push((invoke, 1, o.id, line("invoke", in_v.clone(), invoke)));
        let (ty, v) = match &o.result {
            Some(OpResult::Written) => ("ok", out_v),
            Some(OpResult::Read(_)) => ("ok", out_v),
            Some(OpResult::Fail(_)) => ("fail", in_v),
            Some(OpResult::Info(_)) | None => ("info", in_v),
        };
        let done = o.complete_at.unwrap_or(invoke);
        events.push((done, 0, o.id, line(ty, v, done)));
    }
    // Completions before invocations at the same instant keep real-time order on re-import.
    crate::sort::sort_by_key(&mut events, |(t, kind, id, _)| (*t, *kind, *id));
    let mut out = String::new();
    if skipped > 0 {
        out.push_str(&format!("; {skipped} non-register operation(s) omitted\n"));
    }
    for (_, _, _, l) in events {
        out.push_str(&l);
        out.push('\n');
    }
    out
}
