//! The View menu: the theme (system, light or dark) and which panels show. Both live in the
//! playground's view options, so a share link carries them and opening it restores them.

use replicalab_core::link::{Theme, ViewOptions};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::share::{shows, toggle_panel, APP_PANELS};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ViewMenuProps {
    pub options: ViewOptions,
    pub on_action: Callback<Action>,
}

#[function_component]
pub fn ViewMenu(props: &ViewMenuProps) -> Html {
    let options = &props.options;
    let on_theme = {
        let cb = props.on_action.clone();
        let options = options.clone();
        Callback::from(move |e: Event| {
            let theme = match e.target_unchecked_into::<HtmlSelectElement>().value().as_str() {
                "light" => Theme::Light,
                "dark" => Theme::Dark,
                _ => Theme::Auto,
            };
            cb.emit(Action::SetView(ViewOptions { theme, ..options.clone() }));
        })
    };
    let theme = match options.theme {
        Theme::Auto => "auto",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    let boxes = APP_PANELS.iter().map(|&(name, title)| {
        let cb = props.on_action.clone();
        let current = options.clone();
        let onchange = Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            cb.emit(Action::SetView(toggle_panel(&current, name, on)));
        });
        html! {
            <label class="check">
                <input type="checkbox" data-panel={name} checked={shows(options, name)} {onchange} />{title}
            </label>
        }
    });
    let all_shown = options.panels.is_empty();
    let show_all = {
        let cb = props.on_action.clone();
        let options = options.clone();
        Callback::from(move |_: MouseEvent| {
            cb.emit(Action::SetView(ViewOptions { panels: Vec::new(), ..options.clone() }))
        })
    };
    html! {
        <details class="view-menu" data-testid="view-menu">
            <summary>{"View"}</summary>
            <div class="view-menu-body">
                <label>{"Theme "}
                    <select data-testid="theme" onchange={on_theme}>
                        <option value="auto" selected={theme == "auto"}>{"as the system"}</option>
                        <option value="light" selected={theme == "light"}>{"light"}</option>
                        <option value="dark" selected={theme == "dark"}>{"dark"}</option>
                    </select>
                </label>
                <fieldset>
                    <legend>{"Panels (a copied link keeps this choice)"}</legend>
                    { for boxes }
                </fieldset>
                <button type="button" data-testid="show-all-panels" disabled={all_shown} onclick={show_all}>{"Show every panel"}</button>
            </div>
        </details>
    }
}
