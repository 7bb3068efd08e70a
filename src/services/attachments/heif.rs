//! A HEIC/HEIF photo's metadata blanked in place: its `Exif` item (with the
//! GPS position) and XMP packet are found through the `meta` box's item
//! list (`iinf`) and locations (`iloc`), and their bytes overwritten with
//! zeros. Nothing moves, so every offset in the file stays right and the
//! picture itself is untouched; readers find no EXIF there any more.

/// A box: its type and where its payload lies.
struct Bx {
    kind: [u8; 4],
    start: usize,
    end: usize,
}

fn be(data: &[u8], at: usize, n: usize) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(n)?)?;
    Some(bytes.iter().fold(0u64, |v, b| (v << 8) | *b as u64))
}

/// The boxes between `from` and `to`.
fn boxes(data: &[u8], from: usize, to: usize) -> Vec<Bx> {
    let mut found = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let Some(size) = be(data, at, 4) else { break };
        let kind: [u8; 4] = data[at + 4..at + 8].try_into().expect("four bytes");
        let (header, size) = match size {
            0 => (8, (to - at) as u64),
            1 => match be(data, at + 8, 8) {
                Some(large) => (16, large),
                None => break,
            },
            n => (8, n),
        };
        let Some(end) = at
            .checked_add(size as usize)
            .filter(|e| *e <= to && size >= header)
        else {
            break;
        };
        found.push(Bx {
            kind,
            start: at + header as usize,
            end,
        });
        at = end;
    }
    found
}

/// Items of the kinds that carry metadata: `Exif`, and `mime` items holding XMP.
fn metadata_items(data: &[u8], iinf: &Bx) -> Vec<u64> {
    let version = data.get(iinf.start).copied().unwrap_or(0);
    let first = iinf.start + 4 + if version == 0 { 2 } else { 4 };
    let mut items = Vec::new();
    for infe in boxes(data, first, iinf.end) {
        if &infe.kind != b"infe" {
            continue;
        }
        let v = data.get(infe.start).copied().unwrap_or(0);
        if v < 2 {
            continue;
        }
        let id_len = if v == 2 { 2 } else { 4 };
        let at = infe.start + 4;
        let (Some(id), Some(kind)) = (
            be(data, at, id_len),
            data.get(at + id_len + 2..at + id_len + 6),
        ) else {
            continue;
        };
        let rest = data.get(at + id_len + 6..infe.end).unwrap_or_default();
        let xmp = kind == b"mime" && rest.windows(7).any(|w| w == b"rdf+xml");
        if kind == b"Exif" || xmp {
            items.push(id);
        }
    }
    items
}

/// Zeroes the extents of `items` as `iloc` places them; whether any was.
fn blank_items(data: &mut [u8], iloc: &Bx, idat: Option<usize>, items: &[u64]) -> Option<bool> {
    let v = *data.get(iloc.start)?;
    let mut at = iloc.start + 4;
    let sizes = *data.get(at)?;
    let (offset_size, length_size) = ((sizes >> 4) as usize, (sizes & 0xF) as usize);
    let sizes2 = *data.get(at + 1)?;
    let base_size = (sizes2 >> 4) as usize;
    let index_size = if v == 1 || v == 2 {
        (sizes2 & 0xF) as usize
    } else {
        0
    };
    at += 2;
    let count_len = if v < 2 { 2 } else { 4 };
    let count = be(data, at, count_len)?;
    at += count_len;
    let mut blanked = false;
    for _ in 0..count {
        let id = be(data, at, count_len)?;
        at += count_len;
        let mut method = 0;
        if v == 1 || v == 2 {
            method = be(data, at, 2)? & 0xF;
            at += 2;
        }
        at += 2; // data_reference_index
        let base = be(data, at, base_size)?;
        at += base_size;
        let extents = be(data, at, 2)?;
        at += 2;
        for _ in 0..extents {
            at += index_size;
            let offset = be(data, at, offset_size)?;
            at += offset_size;
            let length = be(data, at, length_size)?;
            at += length_size;
            if !items.contains(&id) || length == 0 {
                continue;
            }
            let origin = match (method, idat) {
                (0, _) => 0,
                (1, Some(idat)) => idat as u64,
                _ => continue,
            };
            let start = (origin + base + offset) as usize;
            let end = start.saturating_add(length as usize).min(data.len());
            if start < end {
                data[start..end].fill(0);
                blanked = true;
            }
        }
    }
    Some(blanked)
}

/// Blanks the photo's EXIF and XMP items; whether anything was blanked.
pub fn blank_metadata(data: &mut [u8]) -> bool {
    let Some(meta) = boxes(data, 0, data.len())
        .into_iter()
        .find(|b| &b.kind == b"meta")
    else {
        return false;
    };
    // `meta` is a full box: version and flags come before its children.
    let children = boxes(data, meta.start + 4, meta.end);
    let find = |kind: &[u8; 4]| children.iter().find(|b| &b.kind == kind);
    let (Some(iinf), Some(iloc)) = (find(b"iinf"), find(b"iloc")) else {
        return false;
    };
    let items = metadata_items(data, iinf);
    if items.is_empty() {
        return false;
    }
    let idat = find(b"idat").map(|b| b.start);
    let iloc = Bx {
        kind: iloc.kind,
        start: iloc.start,
        end: iloc.end,
    };
    blank_items(data, &iloc, idat, &items).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    }

    /// A HEIF with an `Exif` item (id 2) at a file offset, and a picture item.
    pub fn heic_with_exif(exif: &[u8]) -> Vec<u8> {
        let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let infe = |id: u16, kind: &[u8; 4]| {
            let mut p = vec![2, 0, 0, 0];
            p.extend_from_slice(&id.to_be_bytes());
            p.extend_from_slice(&[0, 0]);
            p.extend_from_slice(kind);
            p.push(0);
            bx(b"infe", &p)
        };
        let mut iinf_p = vec![0, 0, 0, 0, 0, 2];
        iinf_p.extend(infe(1, b"hvc1"));
        iinf_p.extend(infe(2, b"Exif"));
        let iinf = bx(b"iinf", &iinf_p);
        // iloc v0, offset and length 4 bytes, no base offset; two items.
        let iloc_len = 8 + 4 + 2 + 2 + 2 * (2 + 2 + 2 + 8);
        let meta_len = 8 + 4 + iinf.len() + iloc_len;
        let data_at = (ftyp.len() + meta_len + 8) as u32;
        let picture = b"PICTURE-BYTES";
        let exif_at = data_at + picture.len() as u32;
        let mut iloc_p = vec![0, 0, 0, 0, 0x44, 0x00, 0, 2];
        for (id, at, len) in [
            (1u16, data_at, picture.len() as u32),
            (2u16, exif_at, exif.len() as u32),
        ] {
            iloc_p.extend_from_slice(&id.to_be_bytes());
            iloc_p.extend_from_slice(&[0, 0, 0, 1]);
            iloc_p.extend_from_slice(&at.to_be_bytes());
            iloc_p.extend_from_slice(&len.to_be_bytes());
        }
        let iloc = bx(b"iloc", &iloc_p);
        assert_eq!(iloc.len(), iloc_len);
        let mut meta_p = vec![0, 0, 0, 0];
        meta_p.extend(iinf);
        meta_p.extend(iloc);
        let meta = bx(b"meta", &meta_p);
        let mut mdat_p = picture.to_vec();
        mdat_p.extend_from_slice(exif);
        let mut file = ftyp;
        file.extend(meta);
        file.extend(bx(b"mdat", &mdat_p));
        file
    }

    #[test]
    fn the_exif_item_is_zeroed_and_the_picture_kept() {
        let exif = b"\0\0\0\0Exif\0\0MM\0*GPS 31.23N 121.47E";
        let mut file = heic_with_exif(exif);
        let len = file.len();
        assert!(blank_metadata(&mut file));
        assert_eq!(file.len(), len);
        assert!(!file.windows(3).any(|w| w == b"GPS"));
        assert!(file.windows(13).any(|w| w == b"PICTURE-BYTES"));
        // Nothing left to blank the second time.
        let mut again = file.clone();
        blank_metadata(&mut again);
        assert_eq!(again, file);
    }

    #[test]
    fn broken_boxes_are_left_alone() {
        let mut junk = b"\0\0\0\x18ftypheic\0\0\0\0\xff\xff\xff\xffmeta".to_vec();
        assert!(!blank_metadata(&mut junk));
        let mut empty = Vec::new();
        assert!(!blank_metadata(&mut empty));
    }
}
