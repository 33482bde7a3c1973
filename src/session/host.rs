//! Commands from a page that embeds ours (`postMessage`): read and checked here, natively
//! tested; `app::host` only turns the browser's message into JSON.

/// A command from a page that embeds us (`postMessage`): plain data, parsed and applied here so
/// that it is tested natively; `app::host` only turns the browser's message into JSON.
///
/// Read by hand from the message's JSON value ([`host_command`]), not by a derived
/// deserializer: the page has no JSON reader for typed data (its presets are compiled in). The
/// tests hold it to what `#[serde(tag = "type", rename_all = "snake_case",
/// deny_unknown_fields)]` would read, on a bank of messages.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(tag = "type", rename_all = "snake_case", deny_unknown_fields))]
pub enum HostCommand {
    Play,
    Pause,
    /// Seconds of simulated time.
    Seek {
        t: f64,
    },
    /// Simulated seconds per second.
    Speed {
        speed: f64,
    },
    /// A link fragment (readable or compact), checked exactly like a link.
    Load {
        link: String,
    },
}

/// Messages longer than a link may be are refused before they are parsed.
pub const MAX_HOST_MESSAGE: usize = replicascope_engine::page::MAX_LINK + 1024;

/// Reads a message as a command. `None`: not meant for us (pages and extensions post all sorts of
/// things; ours have a string `type`); `Some(Err)`: ours, but malformed, with the reason to send
/// back.
pub fn host_command(value: &serde_json::Value) -> Option<Result<HostCommand, String>> {
    value.get("type")?.as_str()?;
    if value.get("link").and_then(|l| l.as_str()).is_some_and(|l| l.len() > MAX_HOST_MESSAGE) {
        return Some(Err(format!("link longer than {MAX_HOST_MESSAGE} bytes")));
    }
    Some(read(value).map_err(|e| format!("not a ReplicaScope command: {e}")))
}

/// The command in a message whose `type` is a string.
fn read(value: &serde_json::Value) -> Result<HostCommand, String> {
    use serde_json::Value;
    let Some(map) = value.as_object() else { return Err("not an object".into()) };
    let kind = map.get("type").and_then(Value::as_str).unwrap_or_default();
    let fields: &[&str] = match kind {
        "play" | "pause" => &[],
        "seek" => &["t"],
        "speed" => &["speed"],
        "load" => &["link"],
        other => {
            return Err(format!(
                "unknown variant `{}`, expected one of `play`, `pause`, `seek`, `speed`, `load`",
                short(other)
            ))
        }
    };
    // A command with a field takes no other (`play` and `pause` ignore any, as they always did).
    if let [f] = fields {
        if let Some(extra) = map.keys().find(|k| *k != "type" && k != f) {
            return Err(format!("unknown field `{}`, expected `{f}`", short(extra)));
        }
    }
    let field = |name: &str| map.get(name).ok_or_else(|| format!("missing field `{name}`"));
    let number = |name: &str| {
        field(name).and_then(|v| v.as_f64().ok_or_else(|| format!("invalid type: {}, expected f64", found(v))))
    };
    Ok(match kind {
        "play" => HostCommand::Play,
        "pause" => HostCommand::Pause,
        "seek" => HostCommand::Seek { t: number("t")? },
        "speed" => HostCommand::Speed { speed: number("speed")? },
        _ => HostCommand::Load {
            link: field("link")?
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("invalid type: {}, expected a string", found(&map["link"])))?,
        },
    })
}

/// A value from a message, cut short for an error (messages come from any page).
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// What a JSON value is, as an error names it.
fn found(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {:?}", short(s)),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}

/// [`host_command`] for a message posted as text (JSON).
pub fn host_command_text(text: &str) -> Option<Result<HostCommand, String>> {
    if text.len() > MAX_HOST_MESSAGE {
        return Some(Err(format!("message longer than {MAX_HOST_MESSAGE} bytes")));
    }
    host_command(&serde_json::from_str(text).ok()?)
}
