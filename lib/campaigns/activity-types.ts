// Signatures of the campaign activities, as the campaign workflow calls them. They carry ids and counts,
// never addresses or message text: those stay in the database.

export type CampaignStatus = 'draft' | 'active' | 'paused' | 'completed';

export interface CampaignActivities {
  /** Finds the campaign at Instantly by the product's marker in its name, or creates it; stores its id. */
  createInstantlyCampaign(input: { campaignId: string }): Promise<{ instantlyCampaignId: string }>;
  /** Adds every pending recipient as a lead, except addresses suppressed by the time of the send. */
  addCampaignLeads(input: { campaignId: string }): Promise<{ added: number; suppressed: number }>;
  enableSendingWarmup(): Promise<void>;
  activateInstantlyCampaign(input: { campaignId: string }): Promise<void>;
  pauseInstantlyCampaign(input: { campaignId: string }): Promise<void>;
  /** Adds an unsubscribed recipient's address to Instantly's workspace block list, which covers every campaign. */
  blockUnsubscribedAddress(input: { recipientId: string }): Promise<void>;
  recordCampaignStatus(input: { campaignId: string; status: CampaignStatus; actorUserId?: string }): Promise<void>;
}
