/**
 * The one place this package imports `@peculiar/x509`. Its dependency tsyringe needs the
 * Reflect metadata API at import time, so the polyfill is evaluated first (ES modules evaluate
 * imports in source order), and every other module goes through this re-export so none can
 * load the library before it.
 */
import 'reflect-metadata';

export * as x509 from '@peculiar/x509';
