"""``python -m bench`` (``make bench``); ``python -m bench --scale`` for the scale benchmark."""

import sys

if "--scale" in sys.argv[1:]:
    from bench.scale import main as scale_main

    sys.exit(scale_main([arg for arg in sys.argv[1:] if arg != "--scale"]))

from bench.run import main

sys.exit(main())
