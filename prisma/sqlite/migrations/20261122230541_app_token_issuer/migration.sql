-- AlterTable
ALTER TABLE "App" ADD COLUMN "tokenIssuer" TEXT;
