"""Discord's message limits, kept in one place so content models and renderers agree.

Values from Discord's API documentation for embeds and components.
"""

from typing import Final

EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
FIELD_NAME: Final = 256
FIELD_VALUE: Final = 1024
FOOTER_TEXT: Final = 2048
EMBED_TOTAL: Final = 6000
MESSAGE_CONTENT: Final = 2000

COMMAND_NAME: Final = 32
COMMAND_DESCRIPTION: Final = 100
CHOICE_NAME: Final = 100
AUTOCOMPLETE_CHOICES: Final = 25

CUSTOM_ID: Final = 100
ROW_BUTTONS: Final = 5
BUTTON_LABEL: Final = 80
SELECT_OPTIONS: Final = 25
SELECT_OPTION_LABEL: Final = 100
SELECT_OPTION_DESCRIPTION: Final = 100
SELECT_PLACEHOLDER: Final = 150

MODAL_TITLE: Final = 45
TEXT_INPUT_LABEL: Final = 45
TEXT_INPUT_PLACEHOLDER: Final = 100
TEXT_INPUT_VALUE: Final = 4000

# Our own, tighter budget for one page of a topic: leaves room for the footer and page counter.
PAGE_BUDGET: Final = 5200
