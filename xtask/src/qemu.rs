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
    let mut stdout = child.stdout.take().ok_or("no stdout from QEMU")?;
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{} did not finish within {TIMEOUT:?}",
                elf.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let bytes = reader
        .join()
        .map_err(|_| "the QEMU output reader failed")?
        .map_err(|e| format!("cannot read QEMU's output: {e}"))?;
    let status = status.code().ok_or("QEMU was killed by a signal")?;

    let mut decoder = table.new_stream_decoder();
    decoder.received(&bytes);
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
            Err(DecodeError::Malformed) => {
                return Err(format!("malformed defmt data from {}", elf.display()));
            }
        }
    }
    Ok(Run { status, lines })
}
