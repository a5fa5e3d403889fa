"""The canvas engine on its own, in the browser: its modules imported into a blank page."""

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.django_db(transaction=True)

# Two items' images in quick succession: the first is closed when the second replaces it, while
# its pyramid is being built; what is drawn is the second, from a pyramid of its own.
SWITCH_IMAGES_JS = """
async () => {
  const { CanvasView } = await import('/static/loupe/studio/canvas.js');
  const { State } = await import('/static/loupe/studio/state.js');
  const root = document.createElement('div');
  root.style.cssText = 'position: fixed; left: 0; top: 0; width: 400px; height: 300px';
  document.body.append(root);
  const canvas = new CanvasView(root, new State(), []);
  const solid = async (color) => {
    const source = new OffscreenCanvas(4000, 3000);
    const ctx = source.getContext('2d');
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, 4000, 3000);
    return createImageBitmap(source);
  };
  const first = await solid('#ff0000');
  const second = await solid('#0000ff');
  canvas.setImage(first);
  canvas.setImage(second);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // both pyramids settle
  canvas.painter.paint();
  const pixel = canvas.painter.canvas.getContext('2d').getImageData(200, 150, 1, 1).data;
  return { pixel: [...pixel.slice(0, 3)], levels: canvas.painter.levels.length };
}
"""


def test_an_image_replaced_while_its_pyramid_is_built_gives_way_to_the_new_one(
    page: Page, live_server, console_errors
):
    page.goto(f"{live_server.url}/login/")

    result = page.evaluate(SWITCH_IMAGES_JS)

    assert result["levels"] > 0  # the second image's pyramid is the one drawn
    assert result["pixel"] == [0, 0, 255]
    assert console_errors == []
