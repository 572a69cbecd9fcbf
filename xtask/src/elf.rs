//! Section sizes of a 32-bit little-endian ELF file: enough for flash and RAM figures.

/// Flash and RAM a firmware image uses, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Code and constants: `.vector_table`, `.text`, `.rodata`, and `.data`'s initial values.
    pub flash: u64,
    /// Statics: `.data` and `.bss`.
    pub ram: u64,
}

/// Reads the footprint from the section headers of `elf`.
pub fn footprint(elf: &[u8]) -> Result<Footprint, String> {
    let u16_at = |at: usize| -> Result<u64, String> {
        elf.get(at..at + 2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| "truncated ELF file".to_string())
    };
    let u32_at = |at: usize| -> Result<u64, String> {
        elf.get(at..at + 4)
            .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .ok_or_else(|| "truncated ELF file".to_string())
    };
    if elf.get(..6) != Some(&[0x7f, b'E', b'L', b'F', 1, 1][..]) {
        return Err("not a 32-bit little-endian ELF file".into());
    }
    let (table, entry_size, count, names_index) =
        (u32_at(0x20)?, u16_at(0x2E)?, u16_at(0x30)?, u16_at(0x32)?);
    if names_index >= count {
        return Err("the section name table is missing".into());
    }
    let header = |i: u64| (table + i * entry_size) as usize;
    let names_offset = u32_at(header(names_index) + 0x10)? as usize;
    let mut footprint = Footprint::default();
    for i in 0..count {
        let at = header(i);
        let name_at = names_offset + u32_at(at)? as usize;
        let name = elf
            .get(name_at..)
            .and_then(|rest| rest.split(|&b| b == 0).next())
            .ok_or("a section name lies outside the file")?;
        let size = u32_at(at + 0x14)?;
        match name {
            b".vector_table" | b".text" | b".rodata" => footprint.flash += size,
            b".data" => {
                footprint.flash += size;
                footprint.ram += size;
            }
            b".bss" | b".uninit" => footprint.ram += size,
            _ => {}
        }
    }
    Ok(footprint)
}

#[cfg(test)]
mod tests {
    use super::footprint;

    #[test]
    fn refuses_what_is_not_a_32_bit_elf_file_without_panicking() {
        assert!(footprint(b"").is_err());
        assert!(footprint(b"\x7fELF\x02\x01").is_err());
        let mut truncated = b"\x7fELF\x01\x01".to_vec();
        truncated.resize(0x34, 0xff);
        assert!(footprint(&truncated).is_err());
    }
}
