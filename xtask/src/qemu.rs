//! Running a firmware image in QEMU and decoding its defmt log.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use defmt_decoder::{DecodeError, Table};

/// Longest a firmware run may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a firmware run produced.
pub struct Run {
    /// The exit status the firmware gave through semihosting.
    pub status: i32,
    /// The decoded defmt log, a line per message.
    pub lines: Vec<String>,
    /// What QEMU itself wrote to stderr (its own errors and warnings).
    pub stderr: String,
}

/// Runs `elf` on QEMU's `machine` and decodes what it logged.
pub fn run(machine: &str, cpu: Option<&str>, elf: &Path) -> Result<Run, String> {
    let image = std::fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let table = Table::parse(&image)
        .map_err(|e| format!("cannot read the defmt table of {}: {e}", elf.display()))?
        .ok_or_else(|| format!("{} has no defmt table", elf.display()))?;

    let mut command = Command::new("qemu-system-arm");
    command.args(["-machine", machine]);
    if let Some(cpu) = cpu {
        command.args(["-cpu", cpu]);
    }
    command
        .args(["-nographic", "-monitor", "none", "-serial", "none"])
        .args(["-semihosting-config", "enable=on,target=native", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-arm: {e}"))?;
    // Both pipes are drained while QEMU runs, so that neither can fill up and block it.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let bytes = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let lines = decode(&table, &bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    let Some(status) = status else {
        return Err(format!(
            "{} did not finish within {TIMEOUT:?}; it had logged:\n  {}\nQEMU said: {stderr}",
            elf.display(),
            lines.join("\n  ")
        ));
    };
    let status = status
        .code()
        .ok_or_else(|| format!("QEMU was killed by a signal; it said: {stderr}"))?;
    Ok(Run {
        status,
        lines,
        stderr,
    })
}

/// Decodes a defmt stream into lines: the level (if any), then the message.
fn decode(table: &Table, bytes: &[u8]) -> Result<Vec<String>, String> {
    let mut decoder = table.new_stream_decoder();
    decoder.received(bytes);
    let mut lines = Vec::new();
    loop {
        match decoder.decode() {
            Ok(frame) => {
                let level = frame
                    .level()
                    .map_or(String::new(), |l| l.as_str().to_uppercase());
                lines.push(
                    format!("{level:<5} {}", frame.display_message())
                        .trim()
                        .to_string(),
                );
            }
            Err(DecodeError::UnexpectedEof) => break,
            Err(DecodeError::Malformed) => return Err("malformed defmt data".into()),
        }
    }
    Ok(lines)
}
