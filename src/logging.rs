//! Diagnostics to `--log-file` only (the terminal belongs to the dashboard), in a 0600 file,
//! and never credential material: the SDK's credential, signing and transport targets are
//! capped below the levels that print keys or headers, and every line is scrubbed of AWS
//! access key ids before it is written.

use std::io::Write;

use color_eyre::eyre::{Result, eyre};

use crate::cli::GlobalArgs;
use crate::commands::UsageError;

/// Targets whose debug/trace output carries credentials or signed headers.
const CAPPED: &str = "aws_config=info,aws_credential_types=info,aws_sigv4=info,aws_smithy_runtime=info,aws_smithy_runtime_api=info,hyper=info,hyper_util=info,h2=info,rustls=info";

pub fn init(global: &GlobalArgs) -> Result<()> {
    let Some(path) = &global.log_file else {
        return Ok(());
    };
    let file = drtui_engine::files::private_append(path)
        .map_err(|error| UsageError(format!("cannot open log file {}: {error}", path.display())))?;
    let wanted = std::env::var("DRTUI_LOG").unwrap_or_else(|_| "info".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{wanted},{CAPPED}"))
        .map_err(|error| UsageError(format!("DRTUI_LOG: {error}")))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(Redacting(file)))
        .try_init()
        .map_err(|error| eyre!("cannot start logging: {error}"))?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "drtui started");
    Ok(())
}

/// A writer that masks AWS access key ids (`AKIA…`, `ASIA…`: four letters and sixteen more
/// upper-case letters or digits) in what passes through it.
pub struct Redacting<W>(pub W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&redact(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `buf` with every access key id replaced by its prefix and asterisks.
pub fn redact(buf: &[u8]) -> Vec<u8> {
    const PREFIXES: [&[u8]; 6] = [b"AKIA", b"ASIA", b"AIDA", b"AROA", b"ANPA", b"AGPA"];
    let mut out = buf.to_vec();
    let id_char = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut index = 0;
    while index + 20 <= out.len() {
        let starts = PREFIXES
            .iter()
            .any(|prefix| out[index..].starts_with(prefix));
        let boundary = index == 0 || !id_char(out[index - 1]);
        if starts && boundary && out[index + 4..index + 20].iter().all(|b| id_char(*b)) {
            for byte in &mut out[index + 4..index + 20] {
                *byte = b'*';
            }
            index += 20;
        } else {
            index += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_key_ids_never_reach_the_log() {
        let line = b"Credentials { access_key_id: \"AKIAIOSFODNN7EXAMPLE\", secret: ** } x=ASIAQWERTYUIOPASDFGH";
        let text = String::from_utf8(redact(line)).expect("utf8");
        assert!(
            !text.contains("IOSFODNN7EXAMPLE") && !text.contains("QWERTYUIOPASDFGH"),
            "{text}"
        );
        assert!(text.contains("AKIA****************"), "{text}");
        assert_eq!(redact(b"no keys here"), b"no keys here");
    }
}
