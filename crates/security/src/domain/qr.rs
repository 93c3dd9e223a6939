//! The enrollment URI as a QR code a frontend can show as it is: an SVG data URI.

use base64::Engine;
use qrcode::QrCode;
use qrcode::render::svg;

pub fn svg_data_uri(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(image)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_svg_data_uri() {
        let uri = super::svg_data_uri("otpauth://totp/x:y?secret=AAAA").unwrap();
        let b64 = uri.strip_prefix("data:image/svg+xml;base64,").unwrap();
        use base64::Engine;
        let svg = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }
}
