//! SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), by hand: Zadarma signs its notifications with
//! HMAC-SHA1 and the workspace has no SHA-1 crate. Only that signature uses them; SHA-1's
//! collision weakness does not matter for an HMAC, which needs the key to forge.

/// The length of a SHA-1 block, bytes.
const BLOCK: usize = 64;

/// The initial hash value (FIPS 180-4 §5.3.1).
const H0: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// SHA-1 of `data`.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    sha1_parts(&[data])
}

/// SHA-1 of the concatenation of `parts`.
fn sha1_parts(parts: &[&[u8]]) -> [u8; 20] {
    let mut state = H0;
    let mut block = [0u8; BLOCK];
    let mut filled = 0;
    let mut total: u64 = 0;
    for part in parts {
        for &byte in *part {
            block[filled] = byte;
            filled += 1;
            if filled == BLOCK {
                compress(&mut state, &block);
                filled = 0;
            }
        }
        total = total.wrapping_add(part.len() as u64);
    }
    // Padding: a 1 bit, zeros, then the message length in bits, big-endian, in the last 8
    // bytes of a block.
    block[filled] = 0x80;
    filled += 1;
    if filled > BLOCK - 8 {
        block[filled..].fill(0);
        compress(&mut state, &block);
        filled = 0;
    }
    block[filled..BLOCK - 8].fill(0);
    block[BLOCK - 8..].copy_from_slice(&total.wrapping_mul(8).to_be_bytes());
    compress(&mut state, &block);

    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// One block into the state (FIPS 180-4 §6.1.2).
fn compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    let mut w = [0u32; 80];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (t, &word) in w.iter().enumerate() {
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

/// HMAC-SHA1 of `message` keyed with `key` (RFC 2104): keys longer than a block are hashed
/// first, shorter ones padded with zeros.
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut padded = [0u8; BLOCK];
    if key.len() > BLOCK {
        padded[..20].copy_from_slice(&sha1(key));
    } else {
        padded[..key.len()].copy_from_slice(key);
    }
    let inner_pad = padded.map(|b| b ^ 0x36);
    let outer_pad = padded.map(|b| b ^ 0x5c);
    let inner = sha1_parts(&[&inner_pad, message]);
    sha1_parts(&[&outer_pad, &inner])
}
