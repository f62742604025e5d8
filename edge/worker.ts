// The Cloudflare Workers entry named in wrangler.toml: the Worker and its Durable Object classes.
export { default, TaskDirectory, TaskObject } from './adapter/cloudflare-workers'
