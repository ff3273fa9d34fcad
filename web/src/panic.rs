//! The panic hook: a bug must never leave a blank page. The page is replaced by a short
//! explanation, the panic message, a link that reloads the last good scenario (the session
//! the app saved in local storage, `?restore`) and one that starts over; the message also goes
//! to the browser console.

use wasm_bindgen::JsValue;

/// Installs the hook (before Yew would install its own).
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&JsValue::from_str(&format!("replicalab: {message}")));
        show(&message);
    }));
}

fn show(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("crash").is_some() {
        return; // Already showing the first panic.
    }
    let Some(body) = document.body() else { return };
    let build = || -> Result<(), JsValue> {
        let panel = document.create_element("div")?;
        panel.set_id("crash");
        panel.set_class_name("crash");
        panel.set_attribute("role", "alert")?;
        let title = document.create_element("h1")?;
        title.set_text_content(Some("replicalab stopped"));
        let text = document.create_element("p")?;
        text.set_text_content(Some(
            "Something went wrong inside the playground — a bug, not something you did. \
             The simulation cannot continue. Reload the last scenario that ran (your session \
             so far, saved in this browser), or start over.",
        ));
        let reload = document.create_element("a")?;
        reload.set_attribute("href", "?restore")?;
        reload.set_attribute("data-testid", "reload")?;
        reload.set_class_name("button primary");
        reload.set_text_content(Some("Reload the last good scenario"));
        let fresh = document.create_element("a")?;
        fresh.set_attribute("href", "./")?;
        fresh.set_attribute("data-testid", "start-over")?;
        fresh.set_class_name("button");
        fresh.set_text_content(Some("Start over"));
        let details = document.create_element("pre")?;
        details.set_text_content(Some(message));
        for child in [&title, &text, &reload, &fresh, &details] {
            panel.append_child(child)?;
        }
        // The app's DOM may be half-updated; replace it entirely.
        body.set_inner_html("");
        body.append_child(&panel)?;
        Ok(())
    };
    if build().is_err() {
        body.set_text_content(Some(&format!("replicalab stopped because of a bug: {message}. Reload the page.")));
    }
}
