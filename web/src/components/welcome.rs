//! The first-visit entry beside the graph: start the first lesson, or pick one of a handful of
//! stories (each loads its scenario and plays it at its suggested pace), or hide the entry.

use replicalab_core::story::{self, FIRST_STORIES};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct WelcomeProps {
    /// The first lesson's link (a fragment); empty when the page has no lessons.
    pub lesson_href: AttrValue,
    /// A story was picked: the index of its preset in [`crate::catalogue::names`].
    pub on_pick: Callback<usize>,
    /// The lesson link was followed or the entry hidden: it does not come back.
    pub on_done: Callback<()>,
}

#[function_component]
pub fn Welcome(props: &WelcomeProps) -> Html {
    let stories = FIRST_STORIES.iter().filter_map(|&name| {
        let index = crate::catalogue::index_of(name)?;
        let on_pick = props.on_pick.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_pick.emit(index));
        Some(html! {
            <li><button type="button" class="link-button" data-testid="story" data-preset={name} {onclick}>{story::title(name)}</button></li>
        })
    });
    let done = props.on_done.reform(|_: MouseEvent| ());
    html! {
        <section class="welcome" data-testid="welcome" aria-labelledby="welcome-title">
            <h2 id="welcome-title">{"New here?"}</h2>
            if !props.lesson_href.is_empty() {
                <a class="button start" data-testid="start-lesson" href={props.lesson_href.clone()} onclick={done.clone()}>{"Start with lesson 1"}</a>
                <p class="welcome-or">{"or pick a story:"}</p>
            } else {
                <p class="welcome-or">{"Pick a story:"}</p>
            }
            <ul class="stories">{ for stories }</ul>
            <button type="button" class="link-button welcome-hide" data-testid="welcome-hide" onclick={done}>{"Hide this"}</button>
        </section>
    }
}
