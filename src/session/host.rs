//! Commands from a page that embeds ours (`postMessage`): read and checked here, natively
//! tested; `app::host` only turns the browser's message into JSON.

/// A command from a page that embeds us (`postMessage`): plain data, parsed and applied here so
/// that it is tested natively; `app::host` only turns the browser's message into JSON.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
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
    // Through text, as `host_command_text` reads it: one deserializer for commands in the page.
    Some(
        serde_json::from_str(&value.to_string())
            .map_err(|e| format!("not a ReplicaScope command: {}", replicascope_engine::page::without_position(&e))),
    )
}

/// [`host_command`] for a message posted as text (JSON).
pub fn host_command_text(text: &str) -> Option<Result<HostCommand, String>> {
    if text.len() > MAX_HOST_MESSAGE {
        return Some(Err(format!("message longer than {MAX_HOST_MESSAGE} bytes")));
    }
    host_command(&serde_json::from_str(text).ok()?)
}
