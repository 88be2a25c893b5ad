# Image for the product's API and worker processes; temporal/docker-compose.yml runs it with
# `npm run api` or `npm run worker`. tsx runs the TypeScript sources directly, so there is no build step.
FROM node:20.19-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change reuses this layer. The postinstall script generates the
# Prisma client, which needs the schema and prisma.config.ts.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --include=dev && npm cache clean --force

COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY scripts ./scripts

USER node
CMD ["npm", "run", "api"]
