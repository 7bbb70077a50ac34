#!/bin/sh
# Deliberately without the executable bit: the command probe must say so, not throw.
echo '{"ok": true}'
