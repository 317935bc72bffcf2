#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded on every machine.
# `prisma generate` only checks that this file exists; anything that would run it should use
# the project's offline migrate command instead.
echo "Prisma's native schema engine is not installed here. Use: npm run migrate -- <dev|deploy|status|diff|reset>" >&2
exit 1
