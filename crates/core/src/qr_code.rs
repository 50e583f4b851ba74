//! The share link as a QR code, for opening the dashboard on a phone: the modules as one SVG
//! path (drawn by the page as inline SVG, so nothing is fetched and the CSP stays strict).
//!
//! Encoding is `qrcodegen`'s; the error correction starts at the lowest level and is raised as
//! far as the link still fits, so a short link gets a sturdier code.

use qrcodegen::{QrCode, QrCodeEcc};

/// Blank modules kept around the code, as the standard asks (ISO/IEC 18004: 4 modules).
pub const QUIET_ZONE: i32 = 4;

/// A QR code ready to draw: `viewBox="0 0 {side} {side}"`, dark modules in `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPicture {
    /// Width and height in modules, quiet zone included.
    pub side: i32,
    /// An SVG path of one unit square per dark module, quiet zone already offset.
    pub path: String,
}

/// Encodes `text` (a link), or says why it cannot be.
pub fn qr_picture(text: &str) -> Result<QrPicture, String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Low).map_err(|_| {
        crate::say!(
            "The link is too long for a QR code ({} characters): share the link itself instead.",
            text.chars().count()
        )
    })?;
    let size = code.size();
    let mut path = String::with_capacity((size * size * 6) as usize);
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            // One run of dark modules on this row becomes one rectangle.
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            path.push_str(&format!(
                "M{} {}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            ));
        }
    }
    Ok(QrPicture {
        side: size + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dark modules the path draws, read back from its rectangles.
    fn dark(picture: &QrPicture) -> Vec<Vec<bool>> {
        let side = picture.side as usize;
        let mut grid = vec![vec![false; side]; side];
        for rect in picture.path.split('M').filter(|r| !r.is_empty()) {
            let (at, rest) = rect.split_once('h').expect("M x y h w ...");
            let (x, y) = at.split_once(' ').expect("x y");
            let width: usize = rest
                .split('v')
                .next()
                .and_then(|w| w.parse().ok())
                .expect("w");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            for column in grid[y].iter_mut().skip(x).take(width) {
                *column = true;
            }
        }
        grid
    }

    #[test]
    fn a_link_becomes_a_code_with_its_three_finder_patterns_and_a_quiet_zone() {
        let link = "https://user.github.io/switchboard/#broker=wss%3A%2F%2Fbroker.example%3A8884%2Fmqtt&device=tasmota%3Adesk_lamp%3ADesk%20lamp";
        let picture = qr_picture(link).expect("a short link fits");
        let grid = dark(&picture);
        let size = picture.side as usize - 2 * QUIET_ZONE as usize;
        assert!(
            size >= 21 && (size - 17).is_multiple_of(4),
            "{size} is not a QR size"
        );
        let q = QUIET_ZONE as usize;
        for (left, top) in [(q, q), (q + size - 7, q), (q, q + size - 7)] {
            // A finder pattern: a dark 7x7 ring, a light ring, a dark 3x3 centre.
            for i in 0..7 {
                for edge in [
                    (left + i, top),
                    (left + i, top + 6),
                    (left, top + i),
                    (left + 6, top + i),
                ] {
                    assert!(grid[edge.1][edge.0], "finder ring at {edge:?}");
                }
            }
            assert!(!grid[top + 1][left + 1], "light ring");
            assert!(grid[top + 3][left + 3], "dark centre");
        }
        let quiet = (0..picture.side as usize).all(|i| !grid[0][i] && !grid[i][0]);
        assert!(quiet, "the quiet zone is blank");
    }

    #[test]
    fn a_longer_link_needs_a_larger_code_and_one_too_long_is_explained() {
        let short =
            qr_picture("https://a.example/#broker=ws%3A%2F%2F10.0.0.2%3A9001").expect("fits");
        let long = qr_picture(&format!(
            "https://a.example/#{}",
            "device=tasmota%3Aplug&".repeat(40)
        ))
        .expect("fits");
        assert!(long.side > short.side);
        let error = qr_picture(&"x".repeat(5_000)).expect_err("too long");
        assert!(error.contains("5000 characters"), "{error}");
    }
}
