//! Small inline SVG icons for the buttons (no icon font: every glyph renders everywhere).

use yew::prelude::*;

fn icon(path: &'static str) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
            <path d={path} />
        </svg>
    }
}

pub fn play() -> Html {
    icon("M4 2.5v11l9.5-5.5z")
}

pub fn pause() -> Html {
    icon("M3.5 2.5h3v11h-3zM9.5 2.5h3v11h-3z")
}

pub fn step() -> Html {
    icon("M2.5 2.5v11l8-5.5zM11 2.5h2.5v11H11z")
}

pub fn reset() -> Html {
    icon("M8 2.5a5.5 5.5 0 1 1-5.2 3.7l1.9.6A3.5 3.5 0 1 0 8 4.5v2L4.5 3.5 8 .5z")
}
